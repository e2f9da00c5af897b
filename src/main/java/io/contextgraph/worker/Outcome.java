package io.contextgraph.worker;

/** What the task loop does with a task after processing it. */
public sealed interface Outcome {
    /** The effect is in storage (or the task needs none): acknowledge and forget it. */
    record Done() implements Outcome {
    }

    /** Already acknowledged in the same atomic step as the task's bookkeeping: nothing is left to settle. */
    record Completed() implements Outcome {
    }

    /** A transient failure (storage down...): try again later with back-off. */
    record Retry(String reason) implements Outcome {
    }

    /** Will never succeed as is, but an operator may fix the cause and replay it (e.g. a wrong key). */
    record Park(String reason) implements Outcome {
    }

    Outcome DONE = new Done();
    Outcome COMPLETED = new Completed();
}
