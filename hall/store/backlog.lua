-- What one consumer group of the outbox has not yet settled, and the oldest of it.
--
-- KEYS[1]  the outbox stream
-- ARGV[1]  the group (the relay's)
--
-- Returns {count, id of the oldest or false}. With no other group the stream holds nothing
-- else (an entry leaves it when settled): its length. With another group (the history), the
-- stream may still hold entries this group settled: count what this group holds pending and
-- what it has not yet read.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, false}
end

local mine = nil
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, info in ipairs(groups) do
  local group = {}
  for i = 1, #info, 2 do
    group[info[i]] = info[i + 1]
  end
  if group['name'] == ARGV[1] then
    mine = group
  end
end

if mine == nil or #groups == 1 then
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  return {redis.call('XLEN', KEYS[1]), first[1] and first[1][1] or false}
end

local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
local unread = redis.call('XRANGE', KEYS[1], '(' .. mine['last-delivered-id'], '+')
local oldest = false
if pending[1] > 0 then
  oldest = pending[2]
elseif #unread > 0 then
  oldest = unread[1][1]
end
return {pending[1] + #unread, oldest}
