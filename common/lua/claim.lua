-- claim.lua - design §2.2 in one step: promote the retries that are due,
-- take the oldest job, and start it.  Nothing can be lost between the
-- move and the start, and each claim is told apart by its token (the
-- envelope in the processing list carries it).  When the queue is empty
-- the caller waits with BLMOVE queue queue RIGHT RIGHT, which moves
-- nothing, and calls this again.
-- KEYS: queue processing retry seq events stats dead devices
-- ARGV: worker prefix
-- Returns {} when there is no job, {0} after burying a malformed one, or
-- {1, token, attempts, envelope}.
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  redis.call('ZREM', KEYS[3], m)
  redis.call('RPUSH', KEYS[1], m) -- it waited: first in line
  local d = job_device(m)
  if d then
    set_status(ARGV[2] .. ':result:' .. d, 'queued', now, 'step', 'retrying')
    event(KEYS[5], 'promoted', d, '')
  end
end
local raw = redis.call('RPOP', KEYS[1])
if not raw then return {} end
local dev = job_device(raw)
if not dev then
  bury(KEYS[7], raw, 'not a job: the queue entry is not JSON with a numeric device_id', iso(now))
  redis.call('HINCRBY', KEYS[6], 'jobs_malformed', 1)
  event(KEYS[5], 'malformed', '', string.sub(raw, 1, 200))
  return {0}
end
local tok = redis.call('INCR', KEYS[4])
local env = '{"claim":' .. tok .. ',"worker":' .. cjson.encode(ARGV[1]) ..
  ',"at":' .. now .. ',"job":' .. raw .. '}'
redis.call('LPUSH', KEYS[2], env)
local result = ARGV[2] .. ':result:' .. dev
local n = redis.call('HINCRBY', result, 'attempts', 1)
-- Evidence an earlier attempt of this run left is not this attempt's.
redis.call('HDEL', result, 'error', 'finished_at', 'next_attempt_at',
  'services', 'users', 'logged_in', 'browser_history', 'session_id',
  'services_baseline', 'services_error', 'timeline', 'timeline_total',
  'timeline_window')
set_status(result, 'running', now, 'device_id', dev, 'step', 'claimed',
  'worker', ARGV[1], 'started_at', iso(now), 'token', tok)
redis.call('ZADD', KEYS[8], now, dev)
event(KEYS[5], 'started', dev, ARGV[1])
return {1, tok, n, env}
