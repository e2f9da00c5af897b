package io.contextgraph.api;

import io.helidon.http.Status;

/** A client error found while reading or checking a request; its message goes back to the client. */
final class BadRequestException extends Exception {
    private final Status status;

    BadRequestException(String message) {
        this(Status.BAD_REQUEST_400, message);
    }

    BadRequestException(Status status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    Status status() {
        return status;
    }
}
