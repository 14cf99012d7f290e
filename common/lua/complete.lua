-- complete.lua - design §2.4 and §2.6: the final result, the job out of
-- the processing list, the device out of flight, cooldown, dead letter.
-- KEYS: processing inflight result devices cooldown stats dead events
-- ARGV: envelope token status cooldown_s device field value ...
-- Returns 1, or 0 when the claim was revoked (the result is dropped).
-- A superseded attempt (another claim's token is on record) only takes
-- its own entry out: the device stays in flight for the attempt that runs.
if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[3], 'token') ~= ARGV[2] then return 0 end
local now = now_ms()
local at = iso(now)
local dev = ARGV[5]
hset_fields(KEYS[3], 6)
set_status(KEYS[3], ARGV[3], now, 'finished_at', at,
  'step', ARGV[3] == 'done' and 'finished' or 'failed')
redis.call('HDEL', KEYS[3], 'token', 'next_attempt_at')
redis.call('ZREM', KEYS[2], dev)
local cd = tonumber(ARGV[4])
if cd and cd > 0 then redis.call('SET', KEYS[5], at, 'EX', cd) end
redis.call('ZADD', KEYS[4], now, dev)
redis.call('HINCRBY', KEYS[6], 'jobs_' .. ARGV[3], 1)
if ARGV[3] ~= 'done' then
  local raw = unwrap(ARGV[1])
  bury(KEYS[7], raw, redis.call('HGET', KEYS[3], 'error') or '', at)
end
event(KEYS[8], ARGV[3], dev, '')
return 1
