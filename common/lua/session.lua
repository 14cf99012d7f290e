-- session.lua - the global Live Response session budget: P:sessions maps
-- a holder ("<worker>/<device>") to its lease expiry.  Takes or renews a
-- slot while fewer than limit live leases exist; a dead holder's lease
-- simply runs out.
-- With a result key and a claim token (a renewal while a job runs), a
-- claim that is no longer the attempt on record gives its slot back: an
-- attempt cut off from Redis and the cloud for a while, whose job runs
-- elsewhere now, holds no slot while it waits to find that out.
-- KEYS: sessions [result]   ARGV: member limit lease_ms [token]
-- Returns 1 when the slot is held, 0 when the budget is spent, 2 when the
-- claim was revoked (the slot is given back).
local now = now_ms()
if KEYS[2] and redis.call('HGET', KEYS[2], 'token') ~= ARGV[4] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 2
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and
   redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1
