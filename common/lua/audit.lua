-- audit.lua - design §2.8, checked and repaired: every job in the queue,
-- the retry set or a processing list has its device in flight; every
-- device in flight has exactly one job.  Run by the reaper (under its
-- lock) now and then; O(jobs), so not on any hot path.
-- KEYS: queue retry inflight stats events processing...
-- ARGV: prefix job_id_prefix
-- Returns {kind, device, ...} for each repair: "lost" (in flight, no job:
-- queued again), "unflown" (a job whose device was not in flight: put in
-- flight), "duplicate" (a second waiting job for a device: dropped).
local now = now_ms()
local at = iso(now)
local out = {}
local count = {} -- device -> jobs seen
local function note(kind, dev)
  table.insert(out, kind)
  table.insert(out, dev)
  redis.call('HINCRBY', KEYS[4], 'repairs_' .. kind, 1)
  event(KEYS[5], 'repair', dev, kind)
end
local function seen(raw)
  local dev = job_device(raw)
  if dev then count[dev] = (count[dev] or 0) + 1 end
  return dev
end
-- Jobs that are running first, so a duplicate is dropped from the waiting
-- places rather than from under a worker.
for i = 6, #KEYS do
  for _, entry in ipairs(redis.call('LRANGE', KEYS[i], 0, -1)) do
    seen((unwrap(entry)))
  end
end
for _, raw in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local dev = job_device(raw)
  if dev and count[dev] then
    redis.call('ZREM', KEYS[2], raw)
    note('duplicate', dev)
  else
    seen(raw)
  end
end
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local dev = job_device(raw)
  if dev and count[dev] then
    redis.call('LREM', KEYS[1], 1, raw)
    note('duplicate', dev)
  else
    seen(raw)
  end
end
for dev, _ in pairs(count) do
  if not redis.call('ZSCORE', KEYS[3], dev) then
    redis.call('ZADD', KEYS[3], now, dev)
    note('unflown', dev)
  end
end
local n = 0
for _, dev in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if not count[dev] then
    n = n + 1
    local id = ARGV[2] .. '-' .. n
    local job = '{"id":' .. cjson.encode(id) .. ',"device_id":' .. dev ..
      ',"alert_ids":[],"source":"repair","enqueued_at":"' .. at .. '","attempts":0}'
    redis.call('LPUSH', KEYS[1], job)
    set_status(ARGV[1] .. ':result:' .. dev, 'queued', now, 'step',
      'queued again: it was in flight with no job anywhere')
    redis.call('HDEL', ARGV[1] .. ':result:' .. dev, 'token', 'worker')
    note('lost', dev)
  end
end
return out
