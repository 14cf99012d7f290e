-- session.lua - the global Live Response session budget: P:sessions maps
-- a holder ("<worker>/<device>") to its lease expiry.  Takes or renews a
-- slot while fewer than limit live leases exist; a dead holder's lease
-- simply runs out.
-- KEYS: sessions   ARGV: member limit lease_ms
-- Returns 1 when the slot is held, 0 when the budget is spent.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and
   redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1
