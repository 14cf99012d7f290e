-- reconcile.lua - a live worker's own processing list against the claims
-- its threads hold: an entry no thread runs (a claim whose answer was
-- lost, a result that could not be written) goes back to the queue once
-- it is older than min_age_ms (a claim being answered right now is
-- younger).
-- KEYS: processing queue   ARGV: prefix min_age_ms token...
-- Returns the devices handed back.
local now = now_ms()
local held = {}
for i = 3, #ARGV do held[ARGV[i]] = true end
local out = {}
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local raw, tok = unwrap(entry)
  local claimed = tonumber(string.match(entry, ',"at":(%d+),"job":')) or 0
  if not held[tostring(tok)] and now - claimed > tonumber(ARGV[2]) then
    redis.call('LREM', KEYS[1], 1, entry)
    local dev = job_device(raw)
    local result = ARGV[1] .. ':result:' .. (dev or '')
    -- A superseded attempt's entry just goes: its job runs elsewhere.
    if not dev or runs_here(result, tok) then
      redis.call('RPUSH', KEYS[2], raw)
    end
    if dev and runs_here(result, tok) then
      set_status(result, 'queued', now, 'step',
        'handed back: no thread of its worker was running it')
      redis.call('HDEL', result, 'token', 'worker')
      table.insert(out, dev)
    end
  end
end
return out
