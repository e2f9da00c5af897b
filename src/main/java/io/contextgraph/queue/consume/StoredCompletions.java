package io.contextgraph.queue.consume;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.StreamScripts;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.consume.TaskConsumer.StoredCompletion;
import io.contextgraph.queue.redis.CallBatcher;
import io.contextgraph.queue.redis.PendingCall;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Completes one shard's stored uploads in batches: while one completing script call ({@link
 * StreamScripts#COMPLETE_STORED_ALL}) is on its way to Redis, the uploads whose writes finish meanwhile wait, and the
 * next call carries all of them. A lone upload is sent at once; there is no timer. Every upload is handed in only
 * after its own object was written, so the forget-marker check in the script is still the check after that write
 * (see {@link TaskConsumer}, forget markers).
 *
 * <p>One instance per shard: a batch never mixes shards, so all keys of a call (streams, stats, contributors and the
 * users' forget markers) are in the shard's hash slot.
 *
 * <p>Who sends, and what happens to a caller that gives up: see {@link CallBatcher}.
 */
final class StoredCompletions implements CallBatcher.Carrier<StoredCompletions.Request> {

    /** A call never carries more uploads than this (one script call blocks Redis for all of them). */
    static final int MAX_UPLOADS = 128;

    private final RedisLink link;
    private final QueueKeys keys;
    private final byte[] group = QueueKeys.bytes(QueueKeys.GROUP);
    private final byte[] markerTtl;
    private final CallBatcher<Request> batcher;

    /**
     * @param sendWithinNanos a request that waited longer than this to be sent fails without being sent (the task
     *                        stays pending)
     */
    StoredCompletions(RedisLink link, QueueKeys keys, Duration forgetMarkerTtl, long sendWithinNanos) {
        this.link = link;
        this.keys = keys;
        this.markerTtl = QueueKeys.bytes(forgetMarkerTtl.toMillis());
        this.batcher = new CallBatcher<>(this, sendWithinNanos, MAX_UPLOADS, Long.MAX_VALUE, request -> 0,
                "Redis is answering too slowly: the completion was not sent");
    }

    /** One stored upload waiting for its completion: the caller waits on it; the sender claims and settles it. */
    static final class Request extends PendingCall<StoredCompletion> {
        private final Delivery delivery;
        private final long sessions;

        private Request(Delivery delivery, long sessions) {
            super("completion", System.nanoTime());
            this.delivery = delivery;
            this.sessions = Math.max(0, sessions);
        }
    }

    /** Hands the upload over for completion; its outcome comes through the returned request. */
    Request submit(Delivery delivery, long sessions) {
        Request request = new Request(delivery, sessions);
        batcher.submit(request);
        return request;
    }

    /** KEYS and ARGV as {@link StreamScripts#COMPLETE_STORED_ALL} reads them. */
    @Override
    public CompletableFuture<List<Object>> send(List<Request> batch) {
        byte[][] scriptKeys = new byte[2 + 2 * batch.size()][];
        scriptKeys[0] = keys.stats();
        scriptKeys[1] = keys.storedContributors();
        byte[][] args = new byte[2 + 4 * batch.size()][];
        args[0] = group;
        args[1] = markerTtl;
        for (int i = 0; i < batch.size(); i++) {
            Request request = batch.get(i);
            Task task = request.delivery.task();
            scriptKeys[2 + 2 * i] = keys.stream(request.delivery.stream());
            scriptKeys[3 + 2 * i] = keys.forget(task.user());
            args[2 + 4 * i] = QueueKeys.bytes(task.entryId());
            args[3 + 4 * i] = QueueKeys.bytes(task.orderId());
            args[4 + 4 * i] = QueueKeys.bytes(request.sessions);
            args[5 + 4 * i] = QueueKeys.bytes(task.user());
        }
        return StreamScripts.COMPLETE_STORED_ALL.runAsync(link, ScriptOutputType.MULTI, scriptKeys, args);
    }

    /** Reports the outcome to every request of the batch; never throws, so that the sending always goes on. */
    @Override
    public void settle(List<Request> batch, List<Object> reply, Throwable failure) {
        try {
            if (failure == null && (reply == null || reply.size() != batch.size())) {
                failure = new QueueUnavailableException("unexpected reply to the completing script");
            }
            if (failure != null) {
                QueueUnavailableException unavailable = link.unavailable(failure);
                batch.forEach(request -> request.failed(unavailable));
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                long outcome = reply.get(i) instanceof Long number ? number : 0;
                batch.get(i).succeeded(outcome == 0 ? StoredCompletion.COVERED
                        : outcome == 2 ? StoredCompletion.COMPLETED_NEW_CONTRIBUTOR : StoredCompletion.COMPLETED);
            }
        } catch (RuntimeException e) {
            QueueUnavailableException unavailable = new QueueUnavailableException("settling a batch failed", e);
            batch.forEach(request -> request.failed(unavailable)); // no effect once settled
        }
    }
}
