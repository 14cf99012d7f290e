-- unregister.lua - a clean exit.  A worker that still has jobs in its
-- processing list (Redis was away when they finished) stays registered,
-- so the reaper finds them once the lease is gone.
-- KEYS: lease workers processing   ARGV: worker instance
-- Returns the number of jobs left behind.
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
local left = redis.call('LLEN', KEYS[3])
if left == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return left
