-- Delete outbox entries that every consumer group has taken and acknowledged.
--
-- KEYS[1]  the outbox stream
-- ARGV[1]  the group that has just acknowledged the entries (the caller's XACK ran first)
-- ARGV[2…] the entries' ids
--
-- The back-office relay and the history each read the stream with their own group. An entry
-- stays until every other group has read it (its last-delivered id is at or past the entry)
-- and no longer holds it pending. Returns how many entries were deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function later(a, b)
  local a_ms, a_seq = parse(a)
  local b_ms, b_seq = parse(b)
  if a_ms ~= b_ms then
    return a_ms > b_ms
  end
  return a_seq > b_seq
end

local others = {}
for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local group = {}
  for i = 1, #info, 2 do
    group[info[i]] = info[i + 1]
  end
  if group['name'] ~= ARGV[1] then
    table.insert(others, group)
  end
end

local deleted = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local taken = true
  for _, group in ipairs(others) do
    if later(id, group['last-delivered-id'])
        or #redis.call('XPENDING', KEYS[1], group['name'], id, id, 1) > 0 then
      taken = false
      break
    end
  end
  if taken then
    deleted = deleted + redis.call('XDEL', KEYS[1], id)
  end
end
return deleted
