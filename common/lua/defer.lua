-- defer.lua - design §2.5: a transient failure.  The job waits in the
-- retry set until due_ms; the device stays in flight, so new alerts join
-- the waiting job.
-- KEYS: processing retry result devices stats events
-- ARGV: envelope token device delay_ms reason field value ...
-- Returns 1, or 0 when the claim was revoked.
if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[3], 'token') ~= ARGV[2] then return 0 end
local now = now_ms()
local due = now + tonumber(ARGV[4])
local raw = unwrap(ARGV[1])
redis.call('ZADD', KEYS[2], due, raw)
hset_fields(KEYS[3], 6)
set_status(KEYS[3], 'deferred', now, 'step', 'waiting to try again',
  'error', ARGV[5], 'next_attempt_at', iso(due))
redis.call('HDEL', KEYS[3], 'token', 'worker')
redis.call('ZADD', KEYS[4], now, ARGV[3])
redis.call('HINCRBY', KEYS[5], 'jobs_deferred', 1)
event(KEYS[6], 'deferred', ARGV[3], ARGV[5])
return 1
