-- reap.lua - design §2.7: a worker whose lease is gone is dead.  Its
-- jobs go back to the queue, each counted as a stall; a job that stalled
-- more than max_stalls times is dead-lettered.  Its session slots are
-- freed, and the sessions its jobs had open are returned so the caller
-- can close them through the API.  With force = 1 (a worker recovering
-- its own list at start) the lease is not checked and the registration
-- stays.
-- With peek = 1 nothing is written: the caller closes the sessions first,
-- so the next attempt cannot start in a session about to be closed.
-- KEYS: processing lease workers queue inflight dead stats events sessions
-- ARGV: worker prefix max_stalls force peek
-- Returns {requeued, dead, dev1, session1, dev2, session2, ...}, or {-1}
-- when the worker is alive.
if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return {-1} end
local peek = ARGV[5] == '1'
local now = now_ms()
local at = iso(now)
local out = {0, 0}
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local raw, tok = unwrap(entry)
  local dev = job_device(raw)
  if not dev then
    bury(KEYS[6], raw, 'not a job: the entry is not JSON with a numeric device_id', at)
  else
    local result = ARGV[2] .. ':result:' .. dev
    local ours = tok ~= nil and redis.call('HGET', result, 'token') == tostring(tok)
    if ours then
      local sid = redis.call('HGET', result, 'session_id')
      if sid and sid ~= '' then
        table.insert(out, dev)
        table.insert(out, sid)
      end
    end
    if peek then
      -- only the sessions
    elseif not runs_here(result, tok) then
      -- superseded: the job runs under a newer claim elsewhere
    elseif redis.call('HINCRBY', result, 'stalls', 1) > tonumber(ARGV[3]) then
      local stalls = redis.call('HGET', result, 'stalls')
      local err = 'gave up: the job stalled ' .. stalls .. ' times (its worker ' ..
        ARGV[1] .. ' stopped answering each time; a device that crashes the worker?)'
      set_status(result, 'failed', now, 'step', 'failed', 'error', err,
        'finished_at', at)
      redis.call('HDEL', result, 'token', 'next_attempt_at')
      redis.call('ZREM', KEYS[5], dev)
      bury(KEYS[6], raw, err, at)
      redis.call('HINCRBY', KEYS[7], 'jobs_failed', 1)
      redis.call('HINCRBY', KEYS[7], 'jobs_stalled_dead', 1)
      event(KEYS[8], 'failed', dev, err)
      out[2] = out[2] + 1
    else
      redis.call('RPUSH', KEYS[4], raw) -- first in line
      set_status(result, 'queued', now, 'step',
        'recovered: worker ' .. ARGV[1] .. ' stopped answering')
      redis.call('HDEL', result, 'token', 'worker')
      redis.call('HINCRBY', KEYS[7], 'jobs_recovered', 1)
      event(KEYS[8], 'recovered', dev, ARGV[1])
      out[1] = out[1] + 1
    end
  end
end
if peek then return out end
redis.call('DEL', KEYS[1])
local pre = ARGV[1] .. '/'
for _, m in ipairs(redis.call('ZRANGE', KEYS[9], 0, -1)) do
  if string.sub(m, 1, #pre) == pre then redis.call('ZREM', KEYS[9], m) end
end
if ARGV[4] ~= '1' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HINCRBY', KEYS[7], 'workers_reaped', 1)
  event(KEYS[8], 'worker_reaped', '', ARGV[1])
end
return out
