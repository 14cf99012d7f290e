-- ratelimit_remaining.lua - the ms left of the shared 429 pause.
-- KEYS: until
-- Returns 0 when there is none (or a stale value without a TTL).
local now = now_ms()
local cur = tonumber(redis.call('GET', KEYS[1]))
if not cur or cur <= now then return 0 end
return cur - now
