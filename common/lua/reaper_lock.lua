-- reaper_lock.lua - the reaper's lock: taken when free, renewed by its
-- holder, in one step (a GET then PEXPIRE could extend someone else's).
-- KEYS: lock   ARGV: instance ttl_ms
-- Returns 1 when held, 0 when another instance holds it.
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
