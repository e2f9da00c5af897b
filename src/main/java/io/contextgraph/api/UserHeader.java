package io.contextgraph.api;

import io.contextgraph.data.UserToken;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;

import java.util.List;

/** Reads the client's pseudonymous {@code X-User} token; the value is never echoed or logged. */
final class UserHeader {
    static final HeaderName X_USER = HeaderNames.create("X-User");

    private UserHeader() {
    }

    static String from(ServerRequestHeaders headers) throws BadRequestException {
        if (!headers.contains(X_USER)) {
            throw new BadRequestException("missing X-User header");
        }
        List<String> values = headers.get(X_USER).allValues();
        if (values.size() != 1 || !UserToken.isValid(values.getFirst())) {
            throw new BadRequestException(
                    "invalid X-User header: one token of 3 to 36 letters, digits or !()*-._~ is expected");
        }
        return values.getFirst();
    }
}
