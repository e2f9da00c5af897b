package io.contextgraph.api;

/** Reading a body would pass the in-flight memory budget: the request is answered 503 and may be retried. */
final class OverBudgetException extends Exception {
    OverBudgetException() {
        super("the service is busy, retry later", null, false, false);
    }
}
