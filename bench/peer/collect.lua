-- The peer's upload handler (see nginx.conf beside it): checks X-User by SPEC's rule, reads the body, checks it is
-- one JSON object (lua-cjson), XADDs it to a Redis stream over a pooled connection (lua-resty-redis, set_keepalive)
-- and answers 200 only after Redis replied; 400/405 for bad requests, 503 with Retry-After when Redis fails. No gzip
-- and no UTF-8 check (lua-cjson passes invalid UTF-8 inside strings through): the bench's body needs neither.
local cjson = require("cjson.safe")
local redis = require("nginx.redis")

local M = {}
local settings

-- The document is three levels deep; contextgraph refuses deeper than 32 too.
cjson.decode_max_depth(32)

function M.configure(s)
    settings = s
end

local function answer(status, body, retry_after)
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.header["Access-Control-Allow-Origin"] = "*"
    if retry_after then
        ngx.header["Retry-After"] = retry_after
    end
    ngx.print(body)
    return ngx.exit(status)
end

local function refuse(status, message)
    return answer(status, cjson.encode({ status = "error", message = message }))
end

function M.upload()
    local method = ngx.req.get_method()
    if method ~= "POST" and method ~= "PUT" then
        ngx.header["Allow"] = "POST, PUT"
        return refuse(405, "method not allowed")
    end
    local user = ngx.var.http_x_user
    if not user or not ngx.re.find(user, [[^[A-Za-z0-9!()*._~-]{3,36}\z]], "jo") then
        return refuse(400, "invalid X-User header: one token of 3 to 36 letters, digits or !()*-._~ is expected")
    end
    local encoding = ngx.var.http_content_encoding
    if encoding and encoding ~= "identity" then
        return refuse(400, "unsupported Content-Encoding")
    end
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if not body then
        -- client_body_buffer_size equals client_max_body_size, so a body is never in a file: it is empty.
        return refuse(400, "empty body")
    end
    -- One JSON object: decoded in full (lua-cjson has no validate-only mode); an array or scalar is refused too.
    if not string.find(body, "^[ \t\r\n]*{") or cjson.decode(body) == nil then
        return refuse(400, "body is not a JSON object")
    end

    local red = redis:new()
    red:set_timeout(settings.timeout_ms)
    local ok, err = red:connect(settings.redis_host, settings.redis_port)
    if not ok then
        ngx.log(ngx.ERR, "redis connect: ", err)
        return answer(503, '{"status":"error","message":"queue unavailable"}', "5")
    end
    local id
    id, err = red:xadd(settings.stream, "*", "user", user, "body", body)
    if not id or id == ngx.null then
        ngx.log(ngx.ERR, "redis XADD: ", err)
        red:close()
        return answer(503, '{"status":"error","message":"queue unavailable"}', "5")
    end
    -- Back to this worker's pool: idle up to 60 s, at most 64 idle connections per worker.
    red:set_keepalive(60000, 64)
    return answer(200, '{"status":"success"}')
end

return M
