-- Commit one hall operation atomically (Redis 6.2+ Lua; no 7.x-only commands).
--
-- In one step: fence on the hub's epoch, return the stored response for a repeated request id,
-- check every record is still what the hub decided from (compare-and-set), write the new
-- records, append the domain events to the hall's stream with their sequence numbers, append
-- the outbox entries for the back office, and keep the response for the request id (ttl_s: a
-- day for an operation that changed something, a minute for a refusal; see commit.py).
--
-- KEYS[1] epoch   KEYS[2] idempotency key   KEYS[3] events stream   KEYS[4] event sequence
-- KEYS[5] outbox stream   KEYS[6] the answered index   KEYS[7..] the hashes that writes refer
-- to by index
-- ARGV: epoch, response, ttl_s, events_maxlen, n_writes,
--       n_writes × (key_index, field, mode, expected, new)   mode: n = absent, e = equal, a = any
--       n_events, n_events × event_json, n_outbox, n_outbox × outbox_json,
--       now_ms, answered member, answered kept ms, answered kept at most
--
-- The answered index (a sorted set by time, trimmed to the last few minutes) lets a hub that
-- takes the hall know at once which requests were answered lately (hall/hub/recent_requests.py).

local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then
  return {'fenced', epoch or ''}
end

local previous = redis.call('GET', KEYS[2])
if previous then
  return {'dup', previous}
end

local n_writes = tonumber(ARGV[5])
local i = 6
for _ = 1, n_writes do
  local key = KEYS[tonumber(ARGV[i])]
  local mode = ARGV[i + 2]
  if mode ~= 'a' then
    local current = redis.call('HGET', key, ARGV[i + 1])
    if mode == 'n' and current then
      return {'conflict', ARGV[i + 1]}
    end
    if mode == 'e' and current ~= ARGV[i + 3] then
      return {'conflict', ARGV[i + 1]}
    end
  end
  i = i + 5
end

i = 6
for _ = 1, n_writes do
  redis.call('HSET', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 4])
  i = i + 5
end

local first_seq = 0
local n_events = tonumber(ARGV[i])
i = i + 1
for k = 1, n_events do
  local seq = redis.call('INCR', KEYS[4])
  if k == 1 then first_seq = seq end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'seq', seq, 'e', ARGV[i])
  i = i + 1
end

local n_outbox = tonumber(ARGV[i])
i = i + 1
for _ = 1, n_outbox do
  redis.call('XADD', KEYS[5], '*', 'entry', ARGV[i])
  i = i + 1
end

local now_ms = tonumber(ARGV[i])
redis.call('ZADD', KEYS[6], now_ms, ARGV[i + 1])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now_ms - tonumber(ARGV[i + 2]))
redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -1 - tonumber(ARGV[i + 3]))
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return {'ok', tostring(first_seq)}
