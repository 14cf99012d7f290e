-- update.lua - design §2.3: progress into the result hash, only while
-- this attempt's token is the one on record (fencing).
-- KEYS: result devices   ARGV: token device field value ...
-- Returns 1, or 0 when a newer attempt owns the result.
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
local now = now_ms()
local status = hset_fields(KEYS[1], 3)
if status then set_status(KEYS[1], status, now) end
redis.call('ZADD', KEYS[2], now, ARGV[2])
return 1
