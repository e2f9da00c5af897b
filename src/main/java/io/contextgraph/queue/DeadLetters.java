package io.contextgraph.queue;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The operator's view of parked tasks: list them (without personal data), replay them onto the queue keeping their
 * original acceptance order, purge a forgotten user's parked tasks (through the per-user index, without scanning the
 * stream), and expire them after the retention.
 */
public final class DeadLetters {
    /** Dead letters removed per script call: a call must not hold Redis for long. */
    private static final int EXPIRE_BATCH = 1000;

    private static final int PAGE = 100;

    private final RedisLink link;
    private final QueueKeys keys;
    private final QueueSettings settings;

    public DeadLetters(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.keys = new QueueKeys(settings.keyPrefix());
    }

    /** Deletes not done yet: how many are on the delete stream (queued or being retried), and the oldest's time. */
    public record WaitingDeletes(long count, long oldestAcceptedAtMillis) {
    }

    public WaitingDeletes waitingDeletes() {
        Long count = link.await(link.commands().xlen(keys.deletes()));
        if (count == null || count == 0) {
            return new WaitingDeletes(0, 0);
        }
        List<StreamMessage<byte[], byte[]>> oldest =
                link.await(link.commands().xrange(keys.deletes(), Range.create("-", "+"), Limit.from(1)));
        long accepted = oldest.isEmpty() ? 0 : safeNumber(TaskEntries.fields(oldest.get(0)).get("accepted"));
        return new WaitingDeletes(count, accepted);
    }

    /** The oldest {@code limit} dead letters of one kind (pages through the stream: an operator's tool). */
    public List<DeadLetter> list(TaskType type, int limit) {
        List<DeadLetter> letters = new ArrayList<>();
        Range.Boundary<String> lower = Range.Boundary.including("-");
        while (letters.size() < limit) {
            List<StreamMessage<byte[], byte[]>> page = link.await(link.commands().xrange(keys.dead(),
                    Range.from(lower, Range.Boundary.including("+")), Limit.from(PAGE)));
            for (StreamMessage<byte[], byte[]> message : page) {
                DeadLetter letter = describe(message);
                if (letter.type() == type && letters.size() < limit) {
                    letters.add(letter);
                }
            }
            if (page.size() < PAGE) {
                break;
            }
            lower = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
        return letters;
    }

    /** Removes the dead uploads parked longer ago than the retention (parked deletes stay); returns how many. */
    public long expire() {
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

    /** The oldest {@code limit} dead letters. */
    public List<DeadLetter> list(int limit) {
        if (limit < 1) {
            return List.of();
        }
        List<StreamMessage<byte[], byte[]>> messages =
                link.await(link.commands().xrange(keys.dead(), Range.create("-", "+"), Limit.from(limit)));
        List<DeadLetter> letters = new ArrayList<>();
        for (StreamMessage<byte[], byte[]> message : messages) {
            letters.add(describe(message));
        }
        return letters;
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
            return replayOne(id.get()) ? 1 : 0;
        }
        List<StreamMessage<byte[], byte[]>> newest =
                link.await(link.commands().xrevrange(keys.dead(), Range.create("-", "+"), Limit.from(1)));
        if (newest.isEmpty()) {
            return 0;
        }
        String last = newest.get(0).getId();
        int moved = 0;
        for (String entryId : idsUpTo(last)) {
            if (replayOne(entryId)) {
                moved++;
            }
        }
        return moved;
    }

    /**
     * Removes the user's dead letters accepted before {@code order} (a delete's order: part of forgetting the user),
     * found through the user's index. Returns how many were removed.
     */
    public int purgeUser(String user, String order) {
        Objects.requireNonNull(user, "user");
        Long removed = StreamScripts.PURGE_USER.run(link, ScriptOutputType.INTEGER,
                new byte[][] {keys.dead(), keys.deadIndex(user)}, QueueKeys.bytes(Objects.requireNonNull(order)));
        return removed == null ? 0 : removed.intValue();
    }

    /**
     * Adds dead letters parked before the per-user index existed to it (one pass over the stream, once per Redis:
     * a flag key remembers it was done). Returns how many were indexed.
     */
    public int indexUnindexed() {
        String first = link.await(link.commands().set(keys.deadIndexed(), QueueKeys.bytes("1"), SetArgs.Builder.nx()));
        if (first == null) {
            return 0;
        }
        int indexed = 0;
        Range.Boundary<String> lower = Range.Boundary.including("-");
        while (true) {
            List<StreamMessage<byte[], byte[]>> page = link.await(link.commands().xrange(keys.dead(),
                    Range.from(lower, Range.Boundary.including("+")), Limit.from(PAGE)));
            for (StreamMessage<byte[], byte[]> message : page) {
                byte[] user = TaskEntries.fields(message).get("user");
                if (user != null) {
                    byte[] index = keys.deadIndex(QueueKeys.text(user));
                    link.await(link.commands().sadd(index, QueueKeys.bytes(message.getId())));
                    link.await(link.commands().pexpire(index, settings.deadLetterRetention().toMillis()
                            + java.time.Duration.ofDays(1).toMillis()));
                    indexed++;
                }
            }
            if (page.size() < PAGE) {
                return indexed;
            }
            lower = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
    }

    private boolean replayOne(String entryId) {
        Long moved = StreamScripts.REPLAY.run(link, ScriptOutputType.INTEGER,
                new byte[][] {keys.dead(), keys.tasks(), keys.deletes()}, QueueKeys.bytes(entryId),
                QueueKeys.bytes(keys.deadIndexPrefix()));
        return moved != null && moved == 1;
    }

    private List<String> idsUpTo(String last) {
        List<String> ids = new ArrayList<>();
        Range.Boundary<String> lower = Range.Boundary.including("-");
        while (true) {
            List<StreamMessage<byte[], byte[]>> page = link.await(link.commands().xrange(keys.dead(),
                    Range.from(lower, Range.Boundary.including(last)), Limit.from(PAGE)));
            page.forEach(message -> ids.add(message.getId()));
            if (page.size() < PAGE) {
                return ids;
            }
            lower = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
    }

    private static DeadLetter describe(StreamMessage<byte[], byte[]> message) {
        Map<String, byte[]> fields = TaskEntries.fields(message);
        TaskType type = Optional.ofNullable(fields.get("type")).map(QueueKeys::text)
                .flatMap(TaskType::fromWireName).orElse(null);
        byte[] uploadId = fields.get("upload_id");
        byte[] reason = fields.get("reason");
        byte[] body = fields.get("body");
        return new DeadLetter(message.getId(), type, uploadId == null ? null : QueueKeys.text(uploadId),
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
