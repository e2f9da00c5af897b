package io.contextgraph.queue.deadletter;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.StreamIds;
import io.contextgraph.queue.StreamScripts;
import io.contextgraph.queue.TaskEntries;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.redis.RedisLink;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The operator's view of parked tasks: list them (without personal data), replay them onto the queue keeping their
 * original acceptance order, purge a forgotten user's parked tasks (through the per-user index, without scanning the
 * stream), and expire them after the retention.
 *
 * <p>Each shard has its own dead-letter stream; this view covers them all. With more than one shard a dead letter's ID
 * names its shard too ({@code <shard>/<entry-id>}, see {@link Shards#label}), the form the worker logs and
 * {@code dead-letters} commands take.
 */
public final class DeadLetters {
    /** Dead letters removed per script call: a call must not hold Redis for long. */
    private static final int EXPIRE_BATCH = 1000;

    private static final int PAGE = 100;

    private final RedisLink link;
    private final QueueSettings settings;
    private final Shards shards;
    private final List<QueueKeys> shardKeys;

    public DeadLetters(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.shards = settings.shards();
        this.shardKeys = settings.shardKeys();
    }

    /** Deletes not done yet: how many are on the delete stream (queued or being retried), and the oldest's time. */
    public record WaitingDeletes(long count, long oldestAcceptedAtMillis) {
    }

    /** Uploads on the queue not yet stored (in progress included), summed over the shards. */
    public long waitingUploads() {
        return shardKeys.stream()
                .mapToLong(keys -> Objects.requireNonNullElse(link.await(link.commands().xlen(keys.tasks())), 0L)).sum();
    }

    /** Summed over the shards; the oldest is the oldest of any shard. */
    public WaitingDeletes waitingDeletes() {
        long total = 0;
        long oldestAccepted = 0;
        for (QueueKeys keys : shardKeys) {
            Long count = link.await(link.commands().xlen(keys.deletes()));
            if (count == null || count == 0) {
                continue;
            }
            total += count;
            List<StreamMessage<byte[], byte[]>> oldest =
                    link.await(link.commands().xrange(keys.deletes(), Range.create("-", "+"), Limit.from(1)));
            long accepted = oldest.isEmpty() ? 0 : safeNumber(TaskEntries.fields(oldest.get(0)).get("accepted"));
            if (accepted > 0 && (oldestAccepted == 0 || accepted < oldestAccepted)) {
                oldestAccepted = accepted;
            }
        }
        return new WaitingDeletes(total, oldestAccepted);
    }

    /** The oldest {@code limit} dead letters (pages through the streams: an operator's tool). */
    public List<DeadLetter> list(int limit) {
        return list(letter -> true, limit);
    }

    /** The oldest {@code limit} dead letters of one kind. */
    public List<DeadLetter> list(TaskType type, int limit) {
        return list(letter -> letter.type() == type, limit);
    }

    private List<DeadLetter> list(Predicate<DeadLetter> wanted, int limit) {
        if (limit < 1) {
            return List.of();
        }
        List<Parked> letters = new ArrayList<>();
        for (int shard = 0; shard < shards.count(); shard++) {
            List<Parked> ofShard = new ArrayList<>();
            int index = shard;
            forEachPage(shardKeys.get(shard), "+", page -> {
                for (StreamMessage<byte[], byte[]> message : page) {
                    DeadLetter letter = describe(index, message);
                    if (wanted.test(letter) && ofShard.size() < limit) {
                        ofShard.add(new Parked(message.getId(), letter));
                    }
                }
                return ofShard.size() < limit;
            });
            letters.addAll(ofShard);
        }
        return oldest(letters, limit);
    }

    /** A dead letter with the entry ID that orders it among those of every shard (its parking time). */
    private record Parked(String entryId, DeadLetter letter) {
    }

    private static List<DeadLetter> oldest(List<Parked> letters, int limit) {
        return letters.stream().sorted(Comparator.comparing(Parked::entryId, StreamIds::compare)).limit(limit)
                .map(Parked::letter).toList();
    }

    /**
     * Reads a shard's dead letters up to {@code last} (inclusive; "+" for all) a page at a time, oldest first, for as
     * long as {@code visit} asks for more.
     */
    private void forEachPage(QueueKeys keys, String last, Predicate<List<StreamMessage<byte[], byte[]>>> visit) {
        Range.Boundary<String> lower = Range.Boundary.including("-");
        while (true) {
            List<StreamMessage<byte[], byte[]>> page = link.await(link.commands().xrange(keys.dead(),
                    Range.from(lower, Range.Boundary.including(last)), Limit.from(PAGE)));
            if (!visit.test(page) || page.size() < PAGE) {
                return;
            }
            lower = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
    }

    /** Removes the dead uploads parked longer ago than the retention (parked deletes stay); returns how many. */
    public long expire() {
        long total = 0;
        for (QueueKeys keys : shardKeys) {
            total += expire(keys);
        }
        return total;
    }

    private long expire(QueueKeys keys) {
        long total = 0;
        while (true) {
            Long removed = StreamScripts.EXPIRE_DEAD.run(link, ScriptOutputType.INTEGER, new byte[][] {keys.dead()},
                    QueueKeys.bytes(settings.deadLetterRetention().toMillis()), QueueKeys.bytes(EXPIRE_BATCH));
            long count = removed == null ? 0 : removed;
            total += count;
            if (count < EXPIRE_BATCH) {
                return total;
            }
        }
    }

    /**
     * Moves one dead letter (by ID) or all of them back onto the task queue, each atomically; replayed tasks keep the
     * order ID of their first acceptance, so forget markers judge them as before. Letters parked while replaying
     * all are left for a later replay. Replay ignores the queue cap: it is an operator's decision.
     *
     * @return how many were moved
     */
    public int replay(Optional<String> id) {
        if (id.isPresent()) {
            Optional<Located> located = locate(id.get());
            return located.isPresent() && replayOne(shardKeys.get(located.get().shard()), located.get().entryId())
                    ? 1 : 0;
        }
        int moved = 0;
        for (QueueKeys keys : shardKeys) {
            List<StreamMessage<byte[], byte[]>> newest =
                    link.await(link.commands().xrevrange(keys.dead(), Range.create("-", "+"), Limit.from(1)));
            if (newest.isEmpty()) {
                continue;
            }
            for (String entryId : idsUpTo(keys, newest.get(0).getId())) {
                if (replayOne(keys, entryId)) {
                    moved++;
                }
            }
        }
        return moved;
    }

    /** A dead letter's shard and entry ID. */
    private record Located(int shard, String entryId) {
    }

    /** The shard and entry of an ID as {@link Shards#label} writes it; empty when it names no shard of this queue. */
    private Optional<Located> locate(String id) {
        int slash = id.indexOf('/');
        if (shards.count() == 1) {
            return slash < 0 ? Optional.of(new Located(0, id)) : Optional.empty();
        }
        if (slash < 1) {
            return Optional.empty();
        }
        try {
            int shard = Integer.parseInt(id.substring(0, slash));
            return shard < shards.count() ? Optional.of(new Located(shard, id.substring(slash + 1)))
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes the user's dead letters accepted before {@code order} (a delete's order: part of forgetting the user),
     * found through the user's index. Returns how many were removed.
     */
    public int purgeUser(String user, String order) {
        Objects.requireNonNull(user, "user");
        QueueKeys keys = shardKeys.get(shards.of(user));
        Long removed = StreamScripts.PURGE_USER.run(link, ScriptOutputType.INTEGER,
                new byte[][] {keys.dead(), keys.deadIndex(user)}, QueueKeys.bytes(Objects.requireNonNull(order)));
        return removed == null ? 0 : removed.intValue();
    }

    /**
     * Adds dead letters parked before the per-user index existed to it (one pass over the stream, once per Redis:
     * a flag key remembers it was done). Returns how many were indexed.
     */
    public int indexUnindexed() {
        int indexed = 0;
        for (QueueKeys keys : shardKeys) {
            indexed += indexUnindexed(keys);
        }
        return indexed;
    }

    private int indexUnindexed(QueueKeys keys) {
        String first = link.await(link.commands().set(keys.deadIndexed(), QueueKeys.bytes("1"), SetArgs.Builder.nx()));
        if (first == null) {
            return 0;
        }
        AtomicInteger indexed = new AtomicInteger();
        forEachPage(keys, "+", page -> {
            for (StreamMessage<byte[], byte[]> message : page) {
                byte[] user = TaskEntries.fields(message).get("user");
                if (user != null) {
                    byte[] index = keys.deadIndex(QueueKeys.text(user));
                    link.await(link.commands().sadd(index, QueueKeys.bytes(message.getId())));
                    link.await(link.commands().pexpire(index, settings.deadIndexTtl().toMillis()));
                    indexed.incrementAndGet();
                }
            }
            return true;
        });
        return indexed.get();
    }

    private boolean replayOne(QueueKeys keys, String entryId) {
        Long moved = StreamScripts.REPLAY.run(link, ScriptOutputType.INTEGER,
                new byte[][] {keys.dead(), keys.tasks(), keys.deletes()}, QueueKeys.bytes(entryId),
                QueueKeys.bytes(keys.deadIndexPrefix()));
        return moved != null && moved == 1;
    }

    private List<String> idsUpTo(QueueKeys keys, String last) {
        List<String> ids = new ArrayList<>();
        forEachPage(keys, last, page -> {
            page.forEach(message -> ids.add(message.getId()));
            return true;
        });
        return ids;
    }

    private DeadLetter describe(int shard, StreamMessage<byte[], byte[]> message) {
        Map<String, byte[]> fields = TaskEntries.fields(message);
        TaskType type = Optional.ofNullable(fields.get("type")).map(QueueKeys::text)
                .flatMap(TaskType::fromWireName).orElse(null);
        byte[] uploadId = fields.get("upload_id");
        byte[] reason = fields.get("reason");
        byte[] body = fields.get("body");
        return new DeadLetter(shards.label(shard, message.getId()), type, uploadId == null ? null : QueueKeys.text(uploadId),
                safeNumber(fields.get("accepted")), safeNumber(fields.get("failed_at")),
                reason == null ? "" : QueueKeys.text(reason), body == null ? 0 : body.length);
    }

    private static long safeNumber(byte[] value) {
        try {
            return TaskEntries.number(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
