-- release.lua - a claimed job goes back to the front of the queue
-- untouched: shutdown before it could finish, or a claim no thread of
-- this worker holds (reconcile).
-- KEYS: processing queue result   ARGV: envelope uncount step
-- Returns 1, or 0 when the job was not in the list.
if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
local raw, tok = unwrap(ARGV[1])
-- A superseded attempt's entry just goes: its job runs elsewhere.
if not runs_here(KEYS[3], tok) then return 0 end
redis.call('RPUSH', KEYS[2], raw)
set_status(KEYS[3], 'queued', now_ms(), 'step', ARGV[3])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[3], 'attempts', -1) end
redis.call('HDEL', KEYS[3], 'token', 'worker')
return 1
