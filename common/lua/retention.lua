-- retention.lua - results, devices and run histories older than the
-- retention are removed, oldest first, a batch at a time.  A device in
-- flight is kept whatever its age.
-- KEYS: devices inflight   ARGV: prefix retention_ms batch
-- Returns the number of devices removed.
local cutoff = now_ms() - tonumber(ARGV[2])
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, dev in ipairs(old) do
  if not redis.call('ZSCORE', KEYS[2], dev) then
    redis.call('DEL', ARGV[1] .. ':result:' .. dev, ARGV[1] .. ':runs:' .. dev)
    redis.call('ZREM', KEYS[1], dev)
    unindex(ARGV[1], dev)
    n = n + 1
  end
end
return n
