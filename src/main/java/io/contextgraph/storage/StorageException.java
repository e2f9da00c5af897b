package io.contextgraph.storage;

import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * A storage operation failed. The message names the operation and the kind of failure, never the key.
 *
 * <p>Keys, file paths and some server messages contain user tokens, so the underlying exception is
 * summarised (its type, and for S3 the HTTP status and error code) instead of being kept as the cause:
 * nothing that reaches a log or an error report from here can carry a token.
 */
public class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    /**
     * A failure of {@code operation} (e.g. {@code "PutObject"}) caused by {@code error}, summarised
     * without its message.
     */
    public static StorageException failed(String operation, Throwable error) {
        return new StorageException(operation + " failed: " + summary(error));
    }

    private static String summary(Throwable error) {
        if (error instanceof AwsServiceException service) {
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            return "HTTP " + service.statusCode() + (code == null ? "" : " " + code);
        }
        StringBuilder kinds = new StringBuilder(error.getClass().getSimpleName());
        // The root cause type says most (ConnectException, SocketTimeoutException, AccessDeniedException...).
        Throwable root = error;
        int depth = 0;
        while (root.getCause() != null && root.getCause() != root && depth++ < 10) {
            root = root.getCause();
        }
        if (root != error) {
            kinds.append(" caused by ").append(root.getClass().getSimpleName());
        }
        return kinds.toString();
    }
}
