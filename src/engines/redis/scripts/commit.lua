-- One atomic change: check every expected version (records and sets), write records and their
-- indexes, raise the version of every set a record joined or left, store the idempotency key with
-- the outcome, then append each event to the stream and publish it, with our own gap-free sequence
-- per channel.
-- KEYS: 1 versions hash, 2 event stream, 3 global sequence, 4 per-channel sequences, 5 set versions.
-- ARGV: 1 key prefix (with its hash tag), 2 the change as JSON, 3 retention (stream length).
-- Every other key this script touches starts with the same prefix, so it lies in the same slot.
local prefix = ARGV[1]
local change = cjson.decode(ARGV[2])
local retention = ARGV[3]
local versions, stream, seq_key, chanseq, setver = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

for _, e in ipairs(change.expect) do
  local current = tonumber(redis.call('HGET', versions, e[1]) or '0')
  if current ~= e[2] then
    return { 'CONFLICT', e[1] }
  end
end

-- sets: { key, version }: a record joined or left the set since the transaction listed it.
for _, s in ipairs(change.sets) do
  local current = tonumber(redis.call('HGET', setver, s[1]) or '0')
  if current ~= s[2] then
    return { 'CONFLICT', s[1] }
  end
end

-- clock: { not before, before } in ms, each false when absent: conditions on Redis's own clock, the
-- one clock of the fleet, so that a lease is renewed or expired by it and never by an instance's.
if change.clock[1] or change.clock[2] then
  local time = redis.call('TIME')
  local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if change.clock[1] and now_ms < change.clock[1] then
    return { 'CONFLICT', 'clock' }
  end
  if change.clock[2] and now_ms >= change.clock[2] then
    return { 'CONFLICT', 'clock' }
  end
end

-- idem: { key, request hash, outcome JSON, ttl ms }, or false.
local idem_key = nil
if change.idem then
  idem_key = prefix .. ':idem:' .. change.idem[1]
  if redis.call('EXISTS', idem_key) == 1 then
    return { 'IDEMPOTENT', change.idem[1] }
  end
end

-- The sets a record belongs to, as keys of a table: its kind, and each indexed field's value.
local function memberships(kind, fields, values)
  local m = { [kind .. ':*'] = true }
  for i, field in ipairs(fields) do
    local value = values[i]
    if value then m[kind .. ':' .. field .. ':' .. value] = true end
  end
  return m
end

local function bump_difference(a, b)
  for key in pairs(a) do
    if not b[key] then redis.call('HINCRBY', setver, key, 1) end
  end
end

-- Drops a record's index entries; returns the sets it was in (empty when there was no record).
local function unindex(kind, id, fields)
  local old = redis.call('HGET', prefix .. ':doc:' .. kind, id)
  if not old then return {} end
  redis.call('ZREM', prefix .. ':idx:' .. kind, id)
  local doc = cjson.decode(old)
  local values = {}
  for i, field in ipairs(fields) do
    local value = doc[field]
    if value ~= nil and value ~= cjson.null then
      values[i] = tostring(value)
      redis.call('ZREM', prefix .. ':idx:' .. kind .. ':' .. field .. ':' .. values[i], id)
    else
      values[i] = false
    end
  end
  return memberships(kind, fields, values)
end

-- put: { kind, id, json, version, fields, values, score } (a value is false when the field is null)
for _, w in ipairs(change.put) do
  local was = unindex(w[1], w[2], w[5])
  redis.call('HSET', prefix .. ':doc:' .. w[1], w[2], w[3])
  redis.call('HSET', versions, w[1] .. ':' .. w[2], w[4])
  redis.call('ZADD', prefix .. ':idx:' .. w[1], 0, w[2])
  for i, field in ipairs(w[5]) do
    local value = w[6][i]
    if value then
      redis.call('ZADD', prefix .. ':idx:' .. w[1] .. ':' .. field .. ':' .. value, 0, w[2])
    end
  end
  local is = memberships(w[1], w[5], w[6])
  bump_difference(was, is)
  bump_difference(is, was)
  -- w[7]: the ordered index ('n': the kind has none; false: not in it; a number: its score)
  if w[7] ~= 'n' then
    if w[7] then
      redis.call('ZADD', prefix .. ':due:' .. w[1], w[7], w[2])
    else
      redis.call('ZREM', prefix .. ':due:' .. w[1], w[2])
    end
  end
end

-- del: { kind, id, fields, whether the kind has an ordered index }
for _, d in ipairs(change.del) do
  bump_difference(unindex(d[1], d[2], d[3]), {})
  if d[4] then redis.call('ZREM', prefix .. ':due:' .. d[1], d[2]) end
  redis.call('HDEL', prefix .. ':doc:' .. d[1], d[2])
  redis.call('HDEL', versions, d[1] .. ':' .. d[2])
end

local function publish(channel, id, body)
  local n = redis.call('HINCRBY', chanseq, channel, 1)
  redis.call('PUBLISH', channel, n .. '|' .. id .. '|' .. body)
end

-- events: { json, rooms }
local ids = {}
for _, ev in ipairs(change.events) do
  local seq = redis.call('INCR', seq_key)
  -- Exact trimming keeps retention a precise promise; the newest entry it drops is remembered, since
  -- a cursor equal to it can still replay without a gap (Redis 7.0 does not track it for trims).
  local excess = redis.call('XLEN', stream) + 1 - tonumber(retention)
  if excess > 0 then
    local gone = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
    if #gone > 0 then redis.call('SET', prefix .. ':trimmed', gone[#gone][1]) end
  end
  local id = redis.call('XADD', stream, 'MAXLEN', '=', retention, '*', 'seq', seq, 'e', ev[1])
  ids[#ids + 1] = id
  for _, room in ipairs(ev[2]) do
    publish(prefix .. ':room:' .. room, id, ev[1])
  end
  publish(prefix .. ':all', id, ev[1])
end

if idem_key then
  redis.call('HSET', idem_key, 'hash', change.idem[2], 'outcome', change.idem[3], 'ids', table.concat(ids, ','))
  redis.call('PEXPIRE', idem_key, change.idem[4])
end
return ids
