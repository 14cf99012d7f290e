-- prelude.lua - helpers every script starts with (embedded in front of
-- each one at build time).  Time always comes from Redis, so a worker's
-- clock cannot skew state.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- ms since the epoch as ISO-8601 UTC with milliseconds.
local function iso(ms)
  local s = math.floor(ms / 1000)
  local days, rem = math.floor(s / 86400), s % 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
    math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

local function event(key, kind, dev, extra)
  redis.call('XADD', key, 'MAXLEN', '~', 10000, '*', 'event', kind,
    'device', dev, 'detail', extra or '')
end

-- P:bystatus:<status> holds the devices whose result has that status,
-- scored by the time of the change: the viewer counts and pages them
-- without reading every result.  Every write of a result's status goes
-- through set_status, so a device is in the set its result names.
local STATUSES = {'queued', 'running', 'deferred', 'done', 'failed'}

-- HSET result status <status> and the fields after it, keeping the index
-- (result is P:result:<dev>).
local function set_status(result, status, now, ...)
  local p, dev = string.match(result, '^(.*):result:([^:]*)$')
  local old = redis.call('HGET', result, 'status')
  if old and old ~= status then
    redis.call('ZREM', p .. ':bystatus:' .. old, dev)
  end
  redis.call('ZADD', p .. ':bystatus:' .. status, now, dev)
  redis.call('HSET', result, 'status', status, ...)
end

-- HSET key with the field/value pairs of ARGV from index i on, in one
-- call, leaving out a field named status (set_status writes that one).
-- Returns the status value it left out, or nil.
local function hset_fields(key, i)
  local kv, status = {}, nil
  for j = i, #ARGV - 1, 2 do
    if ARGV[j] == 'status' then
      status = ARGV[j + 1]
    else
      kv[#kv + 1] = ARGV[j]
      kv[#kv + 1] = ARGV[j + 1]
    end
  end
  if #kv > 0 then redis.call('HSET', key, unpack(kv)) end
  return status
end

-- A device removed for good leaves every status set.
local function unindex(p, dev)
  for _, s in ipairs(STATUSES) do redis.call('ZREM', p .. ':bystatus:' .. s, dev) end
end

local DEAD_MAX = 10000 -- P:dead keeps the newest this many
local RUNS_MAX = 20    -- P:runs:<device> keeps the newest this many

-- Appends {job, error, at} to the dead-letter list, capped.
local function bury(dead, raw, err, at)
  redis.call('LPUSH', dead, cjson.encode({job = raw, error = err, at = at}))
  redis.call('LTRIM', dead, 0, DEAD_MAX - 1)
end

local function add_alert_id(result, id)
  if id == '' then return end
  local ids = {}
  local cur = redis.call('HGET', result, 'alert_ids')
  if cur then
    local ok, v = pcall(cjson.decode, cur)
    if ok and type(v) == 'table' then ids = v end
  end
  for _, x in ipairs(ids) do if x == id then return end end
  table.insert(ids, id)
  while #ids > 100 do table.remove(ids, 1) end
  redis.call('HSET', result, 'alert_ids', cjson.encode(ids))
end

-- A claimed job in a processing list is an envelope:
--   {"claim":<token>,"worker":"<id>","at":<ms>,"job":<job JSON verbatim>}
-- so two claims of the same job never look alike, and the job comes back
-- out byte for byte.  Returns raw job, token (nil for a bare job).
local function unwrap(entry)
  if string.sub(entry, 1, 9) ~= '{"claim":' then return entry, nil end
  local at = string.find(entry, ',"job":', 1, true)
  if not at then return entry, nil end
  local tok = tonumber(string.match(entry, '^{"claim":(%d+)'))
  return string.sub(entry, at + 7, -2), tok
end

-- True when the claim with token tok is the attempt on record for the
-- result hash (or no attempt is: a bare job, or no token on record), so
-- handing its job back cannot duplicate an attempt that runs elsewhere.
local function runs_here(result, tok)
  local cur = redis.call('HGET', result, 'token')
  return tok == nil or cur == false or cur == tostring(tok)
end

-- The device id of a job, or nil when the job is not one we can run.
local function job_device(raw)
  local ok, j = pcall(cjson.decode, raw)
  if not ok or type(j) ~= 'table' then return nil end
  local d = j['device_id']
  if type(d) ~= 'number' or d <= 0 or d ~= math.floor(d) or d > 2^53 then
    return nil
  end
  return string.format('%d', d)
end

-- The evidence of one run: what a new run must not show as its own.
local EVIDENCE = {'services', 'users', 'logged_in', 'browser_history',
  'session_id', 'error', 'started_at', 'finished_at', 'worker', 'step',
  'stalls', 'next_attempt_at', 'last_contact_time', 'sensor_states',
  'services_baseline', 'services_error', 'timeline', 'timeline_total',
  'timeline_window'}

-- What a run keeps in P:runs:<dev>, as the strings the hash held.
local RUN_FIELDS = {'attempts', 'alert_ids', 'source', 'queued_at',
  'started_at', 'finished_at', 'worker', 'error', 'session_id', 'services',
  'users'}

-- The number of rows a browser_history entry had: its *_total, else the
-- length of its list, else nil (an entry with an error).
local function rows_total(e, list)
  local n = e[list .. '_total']
  if type(n) == 'number' then return n end
  if type(e[list]) == 'table' then return #e[list] end
  return nil
end

-- browser_history (JSON text) as the run's artifact summary: a JSON array
-- with one object per user x browser x profile, naming the raw file
-- (P:artifact:<sha256>) and counting the rows, but without them, so a
-- run with 5000 visits per profile stays a few hundred bytes.
local function artifacts_summary(bh)
  local ok, v = pcall(cjson.decode, bh or '')
  local out = {}
  if not ok or type(v) ~= 'table' then return '[]' end
  for _, e in ipairs(v) do
    if type(e) == 'table' then
      local a = {}
      for _, f in ipairs({'user', 'browser', 'profile', 'sha256', 'artifact',
                          'size'}) do
        local x = e[f]
        if type(x) == 'string' or type(x) == 'number' then a[f] = x end
      end
      for _, l in ipairs({'visits', 'downloads', 'search_terms'}) do
        a[l .. '_total'] = rows_total(e, l)
      end
      table.insert(out, cjson.encode(a))
    end
  end
  -- Built by hand: cjson would write an empty table as {}.
  return '[' .. table.concat(out, ',') .. ']'
end

-- Moves a finished run to P:runs:<dev> (capped) as a summary (the README's lr:runs row:
-- status, times, attempts, alert ids, source, worker, error, session,
-- services, users and the artifacts), and clears its evidence from the
-- hash for the new run.
local function archive_run(result, runs)
  local st = redis.call('HGET', result, 'status')
  if st ~= 'done' and st ~= 'failed' then return end
  local run = {status = st}
  for _, f in ipairs(RUN_FIELDS) do
    local v = redis.call('HGET', result, f)
    if v then run[f] = v end
  end
  local arts = artifacts_summary(redis.call('HGET', result, 'browser_history'))
  local text = cjson.encode(run)
  text = string.sub(text, 1, -2) .. ',"artifacts":' .. arts .. '}'
  redis.call('LPUSH', runs, text)
  redis.call('LTRIM', runs, 0, RUNS_MAX - 1)
  redis.call('HDEL', result, unpack(EVIDENCE))
end
