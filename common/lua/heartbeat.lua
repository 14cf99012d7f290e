-- heartbeat.lua - design §2.2: a worker's lease.  The lease holds the
-- process's instance id, so a second live process with the same worker
-- id is refused instead of sharing (and handing back) its jobs.
-- KEYS: lease workers   ARGV: worker instance ttl_ms
-- Returns 1 when the lease is ours, 0 when another instance holds it.
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], now_ms(), ARGV[1])
return 1
