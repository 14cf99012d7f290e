-- stats_add.lua - adds one batch of a process's counters to P:stats, once.
-- KEYS: stats, flushed (P:stats:flushed:<process>)
-- ARGV: batch_id, ttl_s, field1, delta1, field2, delta2, ...
-- flushed holds the id of the last batch of that process added here.  A
-- batch sent again because its answer was lost has an id not above it and
-- is not added twice.  Returns 1 when added, 0 when it had been already.
local id = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if id <= last then return 0 end
for i = 3, #ARGV - 1, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[2]))
return 1
