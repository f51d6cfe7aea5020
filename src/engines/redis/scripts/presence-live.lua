-- The figures of every live instance, dropping the expired ones in the same atomic step, so that a
-- report arriving meanwhile is never removed with the stale one it replaces.
-- KEYS: 1 presence hash (instance -> figures JSON), 2 expiry sorted set (instance -> expiry ms).
-- ARGV: 1 now (ms): a report is live while now is before its expiry.
local figures, expiry, now = KEYS[1], KEYS[2], ARGV[1]
local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
for _, id in ipairs(gone) do
  redis.call('HDEL', figures, id)
end
redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now)
local live = redis.call('ZRANGEBYSCORE', expiry, '(' .. now, '+inf')
if #live == 0 then
  return {}
end
return redis.call('HMGET', figures, unpack(live))
