/**
 * Where the worker keeps what it accepted: {@link io.contextgraph.storage.S3ObjectStore} for S3 (or an
 * S3-compatible store), {@link io.contextgraph.storage.LocalFolderStore} for the standalone role.
 * Keys carry user tokens, so nothing here puts a key into a log line or an exception message.
 */
package io.contextgraph.storage;
