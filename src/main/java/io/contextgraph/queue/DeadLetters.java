package io.contextgraph.queue;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The operator's view of parked tasks: list them (without personal data), replay them onto the queue keeping their
 * original acceptance order, and purge a forgotten user's parked tasks.
 */
public final class DeadLetters {

    private static final int PAGE = 100;

    private final RedisLink link;
    private final QueueKeys keys;

    public DeadLetters(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.keys = new QueueKeys(Objects.requireNonNull(settings, "settings").keyPrefix());
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

    /** Removes every dead letter of the user (part of forgetting the user). Returns how many were removed. */
    public int purgeUser(String user) {
        byte[] wanted = QueueKeys.bytes(Objects.requireNonNull(user, "user"));
        List<String> doomed = new ArrayList<>();
        Range.Boundary<String> lower = Range.Boundary.including("-");
        while (true) {
            List<StreamMessage<byte[], byte[]>> page = link.await(link.commands().xrange(keys.dead(),
                    Range.from(lower, Range.Boundary.including("+")), Limit.from(PAGE)));
            for (StreamMessage<byte[], byte[]> message : page) {
                if (Arrays.equals(wanted, TaskEntries.fields(message).get("user"))) {
                    doomed.add(message.getId());
                }
            }
            if (page.size() < PAGE) {
                break;
            }
            lower = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
        if (doomed.isEmpty()) {
            return 0;
        }
        Long removed = link.await(link.commands().xdel(keys.dead(), doomed.toArray(String[]::new)));
        return removed == null ? 0 : removed.intValue();
    }

    private boolean replayOne(String entryId) {
        Long moved = StreamScripts.REPLAY.run(link, ScriptOutputType.INTEGER,
                new byte[][] {keys.dead(), keys.tasks()}, QueueKeys.bytes(entryId));
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
