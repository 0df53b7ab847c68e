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
-- ARGV[1] epoch   ARGV[2] response   ARGV[3] ttl_s   ARGV[4] the rest, as one JSON object:
--   w: the writes, each [key_index, field, mode, expected, new]   mode: n = absent, e = equal,
--      a = any
--   e: the events (JSON texts)   o: the outbox entries (JSON texts)   m: the events' stream cap
--   t: now (ms)   a: the request's entry in the answered index   k: how long it keeps entries
--   (ms)   x: how many at most
-- (One argument rather than dozens: the client's packing of a command costs per argument.)
--
-- The answered index (a sorted set by time, trimmed to the last few minutes) lets a hub that
-- takes the hall know at once which requests were answered lately (hall/hub/recent_requests.py).

local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then
  return {'fenced', epoch or ''}
end

local body = cjson.decode(ARGV[4])

local previous = redis.call('GET', KEYS[2])
if previous then
  -- A write even so: a WAIT after this script then also covers the first attempt's writes
  -- (`[store] wait_replicas`, hall_store.py).
  redis.call('ZADD', KEYS[6], body.t, body.a)
  return {'dup', previous}
end

for _, w in ipairs(body.w) do
  local mode = w[3]
  if mode ~= 'a' then
    local current = redis.call('HGET', KEYS[w[1]], w[2])
    if mode == 'n' and current then
      return {'conflict', w[2]}
    end
    if mode == 'e' and current ~= w[4] then
      return {'conflict', w[2]}
    end
  end
end

for _, w in ipairs(body.w) do
  redis.call('HSET', KEYS[w[1]], w[2], w[5])
end

local first_seq = 0
for k, event in ipairs(body.e) do
  local seq = redis.call('INCR', KEYS[4])
  if k == 1 then first_seq = seq end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', body.m, '*', 'seq', seq, 'e', event)
end

for _, entry in ipairs(body.o) do
  redis.call('XADD', KEYS[5], '*', 'entry', entry)
end

redis.call('ZADD', KEYS[6], body.t, body.a)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', body.t - body.k)
redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -1 - body.x)
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return {'ok', tostring(first_seq)}
