-- One atomic change: check every expected version, write records and their indexes, then append
-- each event to the stream and publish it, with our own gap-free sequence per channel.
-- KEYS: 1 versions hash, 2 event stream, 3 global sequence, 4 per-channel sequences.
-- ARGV: 1 key prefix (with its hash tag), 2 the change as JSON, 3 retention (stream length).
-- Every other key this script touches starts with the same prefix, so it lies in the same slot.
local prefix = ARGV[1]
local change = cjson.decode(ARGV[2])
local retention = ARGV[3]
local versions, stream, seq_key, chanseq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

for _, e in ipairs(change.expect) do
  local current = tonumber(redis.call('HGET', versions, e[1]) or '0')
  if current ~= e[2] then
    return { 'CONFLICT', e[1] }
  end
end

local function unindex(kind, id, fields)
  local old = redis.call('HGET', prefix .. ':doc:' .. kind, id)
  if not old then return end
  redis.call('ZREM', prefix .. ':idx:' .. kind, id)
  local doc = cjson.decode(old)
  for _, field in ipairs(fields) do
    local value = doc[field]
    if value ~= nil and value ~= cjson.null then
      redis.call('ZREM', prefix .. ':idx:' .. kind .. ':' .. field .. ':' .. tostring(value), id)
    end
  end
end

-- put: { kind, id, json, version, fields, values } (a value is false when the field is null)
for _, w in ipairs(change.put) do
  unindex(w[1], w[2], w[5])
  redis.call('HSET', prefix .. ':doc:' .. w[1], w[2], w[3])
  redis.call('HSET', versions, w[1] .. ':' .. w[2], w[4])
  redis.call('ZADD', prefix .. ':idx:' .. w[1], 0, w[2])
  for i, field in ipairs(w[5]) do
    local value = w[6][i]
    if value then
      redis.call('ZADD', prefix .. ':idx:' .. w[1] .. ':' .. field .. ':' .. value, 0, w[2])
    end
  end
end

-- del: { kind, id, fields }
for _, d in ipairs(change.del) do
  unindex(d[1], d[2], d[3])
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
return ids
