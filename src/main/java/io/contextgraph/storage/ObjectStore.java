package io.contextgraph.storage;

import java.util.function.Predicate;

/**
 * Where the worker keeps stored uploads: one gzipped JSON object per key, deletable by user prefix.
 *
 * <p>Keys hold user tokens: implementations never put a key into an exception message or a log line.
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Stores an object, replacing any object under the same key (keys are fixed per upload, so a
     * repeated write stores the same thing).
     *
     * @param key          e.g. {@code v1/sessions/user=<token>/date=<day>/<upload id>.json.gz}
     * @param gzippedJson  the gzip-compressed JSON document
     * @throws StorageException when the object could not be stored
     */
    void put(String key, byte[] gzippedJson);

    /**
     * Removes one object (on a versioned bucket: every version and delete marker of its key);
     * removing an absent object is not an error.
     *
     * @throws StorageException when the store could not be asked
     */
    void delete(String key);

    /**
     * Removes every object under prefix whose key passes {@code removable} (on a versioned bucket:
     * every version and delete marker of such keys), and abandons unfinished multipart uploads under
     * prefix whose key passes {@code removable}.
     *
     * @param prefix    ends with {@code /}, e.g. {@code v1/sessions/user=<token>/}, so that {@code user=abc/}
     *                  never reaches {@code user=abcd/}
     * @param removable asked once or more per key under the prefix; keys it refuses are left alone
     * @return what was removed
     * @throws StorageException when any object could not be removed (the call can simply be repeated)
     */
    Removal deletePrefix(String prefix, Predicate<String> removable);

    /**
     * Asks the store whether it keeps earlier versions of objects (for the startup log: deletes find
     * and remove versions on their own). A store without versions, like a folder, says so without asking.
     *
     * @throws StorageException when the store could not be asked
     */
    default BucketVersioning versioning() {
        return BucketVersioning.UNVERSIONED;
    }

    /**
     * Checks that the store can be reached.
     *
     * @throws StorageException when it cannot
     */
    void checkReachable();

    /** Where objects go, for startup logs, e.g. {@code s3://bucket}; never holds secrets. */
    String describe();

    @Override
    void close();
}
