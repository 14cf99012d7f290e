-- enqueue.lua - design §2.1: a job for a device unless it is in flight
-- or cooling down, in which case the alert joins the waiting job.
-- KEYS: inflight queue result devices cooldown stats events seen runs
-- ARGV: device job_id source alert_id alert_json device_name seen_ttl_s
--       cooldown_s
-- Returns 1 queued, 0 coalesced, 2 when the alert id was seen before.
local dev = ARGV[1]
local now = now_ms()
if ARGV[4] ~= '' and tonumber(ARGV[7]) > 0 then
  if not redis.call('SET', KEYS[8], now, 'NX', 'EX', ARGV[7]) then
    redis.call('HINCRBY', KEYS[6], 'alerts_duplicate', 1)
    return 2
  end
end
if redis.call('ZSCORE', KEYS[1], dev) or redis.call('EXISTS', KEYS[5]) == 1 then
  add_alert_id(KEYS[3], ARGV[4])
  redis.call('HINCRBY', KEYS[6], 'coalesced', 1)
  event(KEYS[7], 'coalesced', dev, ARGV[4])
  return 0
end
redis.call('ZADD', KEYS[1], 'NX', now, dev)
local at = iso(now)
local ids = '[]'
if ARGV[4] ~= '' then ids = cjson.encode({ARGV[4]}) end
local job = '{"id":' .. cjson.encode(ARGV[2]) .. ',"device_id":' .. dev ..
  ',"alert_ids":' .. ids .. ',"source":' .. cjson.encode(ARGV[3]) ..
  ',"enqueued_at":"' .. at .. '","attempts":0' ..
  (tonumber(ARGV[8]) > 0 and (',"cooldown_s":' .. tonumber(ARGV[8])) or '') .. '}'
redis.call('LPUSH', KEYS[2], job)
-- A new job is a new run: the last one's evidence goes to the history.
archive_run(KEYS[3], KEYS[9])
redis.call('HDEL', KEYS[3], 'token', unpack(EVIDENCE))
set_status(KEYS[3], 'queued', now, 'device_id', dev, 'queued_at', at,
  'alert_ids', ids, 'source', ARGV[3], 'attempts', 0)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'alert', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], 'device_name', ARGV[6]) end
redis.call('ZADD', KEYS[4], now, dev)
redis.call('HINCRBY', KEYS[6], 'enqueued', 1)
event(KEYS[7], 'queued', dev, ARGV[4])
return 1
