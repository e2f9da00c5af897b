package io.contextgraph.queue;

import io.contextgraph.queue.redis.LuaScript;

/**
 * The queue's multi-step changes, each one Lua script so that Redis applies it atomically: nothing is ever
 * half-written. Redis only refuses a script for memory (OOM) before its first write, so every script below checks
 * first and writes after.
 *
 * <p><b>Acceptance order.</b> Uploads and deletes live in two streams, so their stream IDs cannot be compared. Every
 * accepted task instead gets an <i>order</i> from one generator in Redis ({@code <prefix>order}), drawn in the same
 * script that appends the task: {@code <ms>-<seq>}, the Redis clock's milliseconds and a sequence within them, never
 * going back (the stream-ID rule, shared by both streams). Orders therefore compare exactly as the tasks were
 * accepted, and they compare with the stream IDs that served as orders before (same clock, same shape). The order is
 * written into the entry ({@code order}, kept by dead-letter replays), into a delete's forget marker, and into the
 * upload id, so the stored object's key says when it was accepted (see {@link UploadIds}).
 *
 * <p>Scripts that need a per-user key (forget marker, dead-letter index, dedup entry) build it from a prefix argument,
 * because the user is only known after reading the entry. On a Redis Cluster that is allowed because every key of a
 * shard carries the shard's hash tag ({@link Shards}): the prefix argument has it too, so a key built from it is in
 * the slot of the declared keys. Every script's keys belong to one shard.
 *
 * <p>With shards, the order generator is the shard's: orders compare within a shard, which is where every comparison
 * happens (an upload, its user's forget marker and the user's deletes share the user's shard).
 */
public final class StreamScripts {

    private StreamScripts() {
    }

    /** Orders and stream IDs compare as (ms, seq) numbers; both parts of real ones fit a Lua double exactly. */
    private static final String LATER = """
            local function later(a, b)
              local am, as = string.match(a, '^(%d+)-(%d+)')
              local bm, bs = string.match(b, '^(%d+)-(%d+)')
              am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
              if am ~= bm then return am > bm end
              return as > bs
            end
            """;

    /**
     * The order generator: {@code next_order(key)} returns the next (ms, seq), one more than the last one handed out
     * or the Redis clock's millisecond, whichever is later; {@code save_order(key)} stores the last one (once per
     * script). The sequence stays below a million (the upload id writes it in six digits): past it the next
     * millisecond is used, still later than everything before.
     */
    private static final String ORDERS = """
            local order_ms, order_seq = nil, nil
            local function next_order(key)
              if order_ms == nil then
                local now = redis.call('TIME')
                order_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
                order_seq = 0
                local last = redis.call('GET', key)
                if last then
                  local lm, ls = string.match(last, '^(%d+)-(%d+)$')
                  lm, ls = tonumber(lm), tonumber(ls)
                  if lm >= order_ms then order_ms, order_seq = lm, ls + 1 end
                end
              else
                order_seq = order_seq + 1
              end
              if order_seq > 999999 then order_ms, order_seq = order_ms + 1, 0 end
              return order_ms, order_seq
            end
            local function save_order(key)
              if order_ms ~= nil then redis.call('SET', key, string.format('%d-%d', order_ms, order_seq)) end
            end
            """;

    /**
     * True when the upload of {@code order} is too old to be judged against forget markers (see COMPLETE_STORED_ALL);
     * the Redis clock is read once per script.
     */
    private static final String TOO_OLD = """
            local now_ms = nil
            local function too_old(order, marker_ttl)
              if now_ms == nil then
                local now = redis.call('TIME')
                now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
              end
              local ms = tonumber(string.match(order, '^(%d+)-'))
              return ms + tonumber(marker_ttl) <= now_ms
            end
            """;

    /**
     * KEYS: tasks, stats, contributors, order. ARGV: cap, dedup window ms (0: off), forget prefix, dedup prefix, then
     * per upload: user, accepted ms, random id part, digest of user and body, body.
     *
     * <p>Per upload, in order: a retry of an upload accepted within the window (same digest) is answered with the
     * first one's id, appends nothing and counts {@code uploads_retried}, unless a delete of the user was accepted
     * after that first one (the retry is then a new upload). Otherwise the upload is appended while the stream is
     * below the cap (the script runs atomically, so counting from one XLEN is the same as checking before each XADD),
     * with a new order and the id {@code <ms:13>-<seq:6>-<random>}, and its digest is noted for the window. Returns, per upload, its id or false
     * (refused: the queue is full).
     */
    public static final LuaScript ENQUEUE_UPLOADS = new LuaScript(LATER + ORDERS + """
            local cap, window = tonumber(ARGV[1]), tonumber(ARGV[2])
            local length = redis.call('XLEN', KEYS[1])
            local ids, users = {}, {}
            for i = 5, #ARGV, 5 do
              local user = ARGV[i]
              local dedup = ARGV[4] .. ARGV[i + 3]
              local earlier = false
              if window > 0 then
                earlier = redis.call('GET', dedup)
                if earlier then
                  local marker = redis.call('GET', ARGV[3] .. user)
                  if marker and later(marker, earlier) then earlier = false end
                end
              end
              if earlier then
                ids[#ids + 1] = earlier
                -- A write, so that a WAIT after this call also covers the first upload's write, made perhaps by
                -- another web role (WAIT waits for the offset of this connection's last write).
                redis.call('HINCRBY', KEYS[2], 'uploads_retried', 1)
              elseif length < cap then
                local ms, seq = next_order(KEYS[4])
                local id = string.format('%013d-%06d-', ms, seq) .. ARGV[i + 2]
                redis.call('XADD', KEYS[1], '*', 'type', 'upload', 'user', user, 'upload_id', id,
                  'order', string.format('%d-%d', ms, seq), 'accepted', ARGV[i + 1], 'body', ARGV[i + 4])
                if window > 0 then redis.call('SET', dedup, id, 'PX', window) end
                ids[#ids + 1] = id
                users[#users + 1] = user
                length = length + 1
              else
                ids[#ids + 1] = false
              end
            end
            save_order(KEYS[4])
            if #users > 0 then
              redis.call('HINCRBY', KEYS[2], 'uploads_accepted', #users)
              redis.call('PFADD', KEYS[3], unpack(users))
            end
            return ids
            """);

    /**
     * KEYS: deletes, stats, forget marker, order. ARGV: cap, user, accepted ms, marker TTL ms. Returns the delete's
     * order, or nil when the delete stream is full. The marker (= the order) is set in the same step as the XADD, so
     * it exists before any worker can see the delete task, and it only grows: orders never go back.
     */
    public static final LuaScript ENQUEUE_DELETE = new LuaScript(ORDERS + """
            if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
            local ms, seq = next_order(KEYS[4])
            local order = string.format('%d-%d', ms, seq)
            redis.call('XADD', KEYS[1], '*', 'type', 'delete', 'user', ARGV[2], 'order', order, 'accepted', ARGV[3])
            save_order(KEYS[4])
            redis.call('SET', KEYS[3], order, 'PX', ARGV[4])
            redis.call('HINCRBY', KEYS[2], 'deletes_accepted', 1)
            return order
            """);

    /**
     * KEYS: the task's stream. ARGV: group, id. Acknowledges and deletes, so the stream holds only unfinished work.
     * XACK goes through pcall: after Redis lost the group, the entry is gone anyway and completing must not fail.
     */
    public static final LuaScript COMPLETE = new LuaScript("""
            redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
            return redis.call('XDEL', KEYS[1], ARGV[2])
            """);

    /**
     * KEYS: stats, stored contributors, then per upload: its stream and its user's forget marker. ARGV: group, marker
     * TTL ms, then per upload: id, order, sessions stored, user. Run after the uploads' objects were written (each
     * upload is in the call only once its own write finished): per upload the second forget-marker check of the delete
     * race, then its bookkeeping and its completion, all uploads in one step. Returns one outcome per upload, in the
     * order given: 0, changing nothing for it, when a delete accepted after the upload covers it (the caller removes
     * the object, then completes), or when the upload is older than the marker TTL: a delete accepted after it might
     * have had its marker expire, so it cannot be judged and is not kept. Otherwise the upload's contributor is noted,
     * its entry acknowledged and deleted, and the outcome is 1, or 2 when the contributor is new (a second upload of a
     * new contributor in the same call gets 1, as one after the other). The sessions of the completed uploads are
     * added up and counted once. Every upload is judged before the first write, and the counter (which fails on a
     * stats key of the wrong type) is written first, so such a failure leaves every task of the call pending.
     */
    public static final LuaScript COMPLETE_STORED_ALL = new LuaScript(LATER + TOO_OLD + """
            local uploads = (#KEYS - 2) / 2
            local kept, sessions = {}, 0
            for t = 1, uploads do
              local a = 3 + (t - 1) * 4
              local marker = redis.call('GET', KEYS[2 + 2 * t])
              kept[t] = not ((marker and later(marker, ARGV[a + 1])) or too_old(ARGV[a + 1], ARGV[2]))
              if kept[t] then sessions = sessions + tonumber(ARGV[a + 2]) end
            end
            if sessions > 0 then redis.call('HINCRBY', KEYS[1], 'sessions_stored', sessions) end
            local outcomes = {}
            for t = 1, uploads do
              local a = 3 + (t - 1) * 4
              if kept[t] then
                local stream = KEYS[1 + 2 * t]
                local new = redis.call('PFADD', KEYS[2], ARGV[a + 3])
                redis.pcall('XACK', stream, ARGV[1], ARGV[a])
                redis.call('XDEL', stream, ARGV[a])
                outcomes[t] = 1 + new
              else
                outcomes[t] = 0
              end
            end
            return outcomes
            """);

    /**
     * KEYS: the task's stream, dead, deletes. ARGV: group, id, reason, failed_at ms, forget key prefix, dead-letter
     * index prefix, index TTL ms. Copies the entry to the dead-letter stream (with {@code order} = its original
     * order), notes it in the user's dead-letter index and removes it from its stream. Returns {outcome, dead-letter
     * ID}: outcome 1 when parked (the ID is the one {@code dead-letters list} shows), 0 when the entry no longer
     * exists, and 2 when it is an upload that a later delete covers: parking it would keep a
     * forgotten user's data, so it is dropped, and since an earlier attempt may have written its object (and failed to
     * remove it again), the covering delete is queued once more ({@code order} = the marker): it removes exactly
     * what that delete removes, this object included.
     */
    public static final LuaScript DEAD_LETTER = new LuaScript(LATER + """
            local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
            if #entries == 0 then
              redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
              return {0, ''}
            end
            local fields = entries[1][2]
            local kind, user, order = nil, nil, ARGV[2]
            local copy = {}
            for i = 1, #fields, 2 do
              local name, value = fields[i], fields[i + 1]
              if name == 'type' then kind = value elseif name == 'user' then user = value end
              if name == 'order' then
                order = value
              elseif name ~= 'reason' and name ~= 'failed_at' then
                copy[#copy + 1] = name
                copy[#copy + 1] = value
              end
            end
            local outcome, parked = 1, ''
            if kind == 'upload' and user then
              local marker = redis.call('GET', ARGV[5] .. user)
              if marker and later(marker, order) then
                outcome = 2
                redis.call('XADD', KEYS[3], '*', 'type', 'delete', 'user', user, 'order', marker,
                  'accepted', ARGV[4])
              end
            end
            if outcome == 1 then
              copy[#copy + 1] = 'order'
              copy[#copy + 1] = order
              copy[#copy + 1] = 'reason'
              copy[#copy + 1] = ARGV[3]
              copy[#copy + 1] = 'failed_at'
              copy[#copy + 1] = ARGV[4]
              parked = redis.call('XADD', KEYS[2], '*', unpack(copy))
              if user then
                redis.call('SADD', ARGV[6] .. user, parked)
                redis.call('PEXPIRE', ARGV[6] .. user, ARGV[7])
              end
            end
            redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
            redis.call('XDEL', KEYS[1], ARGV[2])
            return {outcome, parked}
            """);

    /**
     * KEYS: dead, tasks, deletes. ARGV: id, dead-letter index prefix. Moves a dead letter back onto the stream of its
     * kind as a new entry that keeps the original {@code order} (and upload id). Returns 1 when moved, 0 when no such
     * dead letter.
     */
    public static final LuaScript REPLAY = new LuaScript("""
            local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
            if #entries == 0 then return 0 end
            local fields = entries[1][2]
            local copy = {}
            local target, user = KEYS[2], nil
            for i = 1, #fields, 2 do
              if fields[i] == 'type' and fields[i + 1] == 'delete' then target = KEYS[3] end
              if fields[i] == 'user' then user = fields[i + 1] end
              if fields[i] ~= 'reason' and fields[i] ~= 'failed_at' then
                copy[#copy + 1] = fields[i]
                copy[#copy + 1] = fields[i + 1]
              end
            end
            redis.call('XADD', target, '*', unpack(copy))
            redis.call('XDEL', KEYS[1], ARGV[1])
            if user then redis.call('SREM', ARGV[2] .. user, ARGV[1]) end
            return 1
            """);

    /**
     * KEYS: dead, the user's dead-letter index. ARGV: a delete's order. Removes the user's dead letters accepted
     * before that order (uploads and earlier deletes; later ones are not the delete's to remove), found through the
     * index rather than by scanning the stream. Returns how many were removed.
     */
    public static final LuaScript PURGE_USER = new LuaScript(LATER + """
            local removed = 0
            for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
              local entries = redis.call('XRANGE', KEYS[1], id, id)
              if #entries == 0 then
                redis.call('SREM', KEYS[2], id)
              else
                local fields, order = entries[1][2], id
                for i = 1, #fields, 2 do
                  if fields[i] == 'order' then order = fields[i + 1] end
                end
                if later(ARGV[1], order) then
                  redis.call('XDEL', KEYS[1], id)
                  redis.call('SREM', KEYS[2], id)
                  removed = removed + 1
                end
              end
            end
            return removed
            """);

    /**
     * KEYS: dead. ARGV: retention ms, limit. Removes up to {@code limit} dead uploads parked longer ago than the
     * retention (their IDs are the parking time on the Redis clock); parked deletes are kept, however old: an expired
     * delete would be a donor told "forgotten" who never is, and a parked delete holds no upload data. The users'
     * index entries for removed letters expire with the index or are dropped when next looked up. Returns how many
     * were removed (the caller repeats while that is the limit, so one call never blocks Redis for long).
     */
    public static final LuaScript EXPIRE_DEAD = new LuaScript("""
            local now = redis.call('TIME')
            local cutoff = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[1])
            local limit = tonumber(ARGV[2])
            if cutoff <= 0 then return 0 end
            local removed, from = 0, '-'
            while removed < limit do
              local page = redis.call('XRANGE', KEYS[1], from, '(' .. string.format('%d', cutoff) .. '-0', 'COUNT', 256)
              for _, entry in ipairs(page) do
                local kind = nil
                local fields = entry[2]
                for f = 1, #fields, 2 do
                  if fields[f] == 'type' then kind = fields[f + 1] end
                end
                if kind ~= 'delete' and removed < limit then
                  redis.call('XDEL', KEYS[1], entry[1])
                  removed = removed + 1
                end
              end
              if #page < 256 then break end
              from = '(' .. page[#page][1]
            end
            return removed
            """);

    /**
     * KEYS: tasks. ARGV: group, consumer. Removes the consumer from the group only if it holds no pending task
     * (XGROUP DELCONSUMER drops a consumer's pending entries, which would strand them). Returns 1 when removed.
     */
    public static final LuaScript RETIRE_CONSUMER = new LuaScript("""
            local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
            if not ok or #pending > 0 then return 0 end
            redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
            return 1
            """);
}
