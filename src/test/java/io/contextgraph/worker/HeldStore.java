package io.contextgraph.worker;

import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.Removal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-memory store whose PUTs wait at a latch until the test releases them, and which counts how many PUTs of the
 * same key run at the same time: a task processed twice concurrently shows up as two.
 */
final class HeldStore implements ObjectStore {
    private final CountDownLatch released = new CountDownLatch(1);
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final AtomicInteger entered = new AtomicInteger();
    private final AtomicInteger puts = new AtomicInteger();
    final Map<String, byte[]> stored = new ConcurrentHashMap<>();

    @Override
    public void put(String key, byte[] gzippedJson) {
        int now = running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        mostAtOnce.accumulateAndGet(now, Math::max);
        entered.incrementAndGet();
        try {
            if (!released.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            stored.put(key, gzippedJson);
            puts.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            running.get(key).decrementAndGet();
        }
    }

    void release() {
        released.countDown();
    }

    /** PUTs that have started, finished or not. */
    int entered() {
        return entered.get();
    }

    /** PUTs currently waiting at the latch. */
    int waiting() {
        return running.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The most PUTs of one key that ever ran at once. */
    int mostAtOnceForOneKey() {
        return mostAtOnce.get();
    }

    int finishedPuts() {
        return puts.get();
    }

    @Override
    public void delete(String key) {
        stored.remove(key);
    }

    @Override
    public Removal deletePrefix(String prefix, Predicate<String> removable) {
        long before = stored.size();
        stored.keySet().removeIf(key -> key.startsWith(prefix) && removable.test(key));
        return new Removal(before - stored.size(), 0);
    }

    @Override
    public void checkReachable() {
    }

    @Override
    public String describe() {
        return "held-in-memory";
    }

    @Override
    public void close() {
        release();
    }
}
