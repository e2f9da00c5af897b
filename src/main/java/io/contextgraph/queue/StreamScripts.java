package io.contextgraph.queue;

/**
 * The queue's multi-step changes, each one Lua script so that Redis applies it atomically: nothing is ever
 * half-written. Redis only refuses a script for memory (OOM) before its first write, so every script below checks
 * first and writes after.
 *
 * <p>Scripts that need a forget marker build its key from a prefix argument, because the user is only known after
 * reading the entry; that is fine on a single (non-cluster) Redis, which is what the service uses.
 */
final class StreamScripts {

    private StreamScripts() {
    }

    /** Stream IDs compare as (ms, seq) numbers; both parts of real IDs fit a Lua double exactly. */
    private static final String LATER = """
            local function later(a, b)
              local am, as = string.match(a, '^(%d+)-(%d+)$')
              local bm, bs = string.match(b, '^(%d+)-(%d+)$')
              am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
              if am ~= bm then return am > bm end
              return as > bs
            end
            """;

    /**
     * KEYS: tasks, stats, contributors. ARGV: cap, then per upload: user, accepted ms, upload id, body. Appends the
     * uploads in order while the stream is below the cap (the script runs atomically, so counting from one XLEN is the
     * same as checking before each XADD). Returns, per upload, its entry ID or false (refused: the queue is full).
     */
    static final LuaScript ENQUEUE_UPLOADS = new LuaScript("""
            local cap = tonumber(ARGV[1])
            local length = redis.call('XLEN', KEYS[1])
            local ids, users = {}, {}
            for i = 2, #ARGV, 4 do
              if length < cap then
                ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'type', 'upload', 'user', ARGV[i],
                  'upload_id', ARGV[i + 2], 'accepted', ARGV[i + 1], 'body', ARGV[i + 3])
                users[#users + 1] = ARGV[i]
                length = length + 1
              else
                ids[#ids + 1] = false
              end
            end
            if #users > 0 then
              redis.call('HINCRBY', KEYS[2], 'uploads_accepted', #users)
              redis.call('PFADD', KEYS[3], unpack(users))
            end
            return ids
            """);

    /**
     * KEYS: tasks, stats, forget marker. ARGV: cap, user, accepted ms, marker TTL ms. Returns the ID or nil (full).
     * The marker is set in the same step as the XADD, so it exists before any worker can see the delete task.
     */
    static final LuaScript ENQUEUE_DELETE = new LuaScript("""
            if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
            local id = redis.call('XADD', KEYS[1], '*', 'type', 'delete', 'user', ARGV[2], 'accepted', ARGV[3])
            redis.call('SET', KEYS[3], id, 'PX', ARGV[4])
            redis.call('HINCRBY', KEYS[2], 'deletes_accepted', 1)
            return id
            """);

    /**
     * KEYS: tasks. ARGV: group, id. Acknowledges and deletes, so the stream holds only unfinished work. XACK goes
     * through pcall: after Redis lost the group, the entry is gone anyway and completing must not fail.
     */
    static final LuaScript COMPLETE = new LuaScript("""
            redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
            return redis.call('XDEL', KEYS[1], ARGV[2])
            """);

    /**
     * KEYS: tasks, stats, stored contributors, the user's forget marker. ARGV: group, id, order, sessions stored,
     * user. Run after an upload's object was written: the second forget-marker check of the delete race, then the
     * upload's bookkeeping and its completion in one step. Returns 0, changing nothing, when a delete accepted after
     * the upload covers it (the caller removes the object, then completes); otherwise counts the sessions and the
     * contributor, acknowledges and deletes the entry, and returns 1, or 2 when the contributor is new.
     */
    static final LuaScript COMPLETE_STORED = new LuaScript(LATER + """
            local marker = redis.call('GET', KEYS[4])
            if marker and later(marker, ARGV[3]) then return 0 end
            if tonumber(ARGV[4]) > 0 then redis.call('HINCRBY', KEYS[2], 'sessions_stored', ARGV[4]) end
            local new = redis.call('PFADD', KEYS[3], ARGV[5])
            redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
            redis.call('XDEL', KEYS[1], ARGV[2])
            return 1 + new
            """);

    /**
     * KEYS: tasks, dead. ARGV: group, id, reason, failed_at ms, forget key prefix. Copies the entry to the dead-letter
     * stream (with {@code order} = its original order) and removes it from the task stream. Returns 1 when parked,
     * 2 when dropped because a later delete covers the upload (parking it would keep a forgotten user's data), 0 when
     * the entry no longer exists.
     */
    static final LuaScript DEAD_LETTER = new LuaScript(LATER + """
            local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
            if #entries == 0 then
              redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
              return 0
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
            local outcome = 1
            if kind == 'upload' and user then
              local marker = redis.call('GET', ARGV[5] .. user)
              if marker and later(marker, order) then outcome = 2 end
            end
            if outcome == 1 then
              copy[#copy + 1] = 'order'
              copy[#copy + 1] = order
              copy[#copy + 1] = 'reason'
              copy[#copy + 1] = ARGV[3]
              copy[#copy + 1] = 'failed_at'
              copy[#copy + 1] = ARGV[4]
              redis.call('XADD', KEYS[2], '*', unpack(copy))
            end
            redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
            redis.call('XDEL', KEYS[1], ARGV[2])
            return outcome
            """);

    /**
     * KEYS: dead, tasks. ARGV: id. Moves a dead letter back onto the task stream as a new entry that keeps the
     * original {@code order}. Returns 1 when moved, 0 when no such dead letter.
     */
    static final LuaScript REPLAY = new LuaScript("""
            local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
            if #entries == 0 then return 0 end
            local fields = entries[1][2]
            local copy = {}
            for i = 1, #fields, 2 do
              if fields[i] ~= 'reason' and fields[i] ~= 'failed_at' then
                copy[#copy + 1] = fields[i]
                copy[#copy + 1] = fields[i + 1]
              end
            end
            redis.call('XADD', KEYS[2], '*', unpack(copy))
            redis.call('XDEL', KEYS[1], ARGV[1])
            return 1
            """);

    /**
     * KEYS: tasks. ARGV: group, consumer. Removes the consumer from the group only if it holds no pending task
     * (XGROUP DELCONSUMER drops a consumer's pending entries, which would strand them). Returns 1 when removed.
     */
    static final LuaScript RETIRE_CONSUMER = new LuaScript("""
            local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
            if not ok or #pending > 0 then return 0 end
            redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
            return 1
            """);
}
