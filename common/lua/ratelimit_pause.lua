-- ratelimit_pause.lua - the shared 429 pause: extends P:ratelimit:until
-- to now + pause_ms unless a later end is already set (never shortens).
-- KEYS: until   ARGV: pause_ms
-- Returns the ms left of the pause in force.
local now = now_ms()
local want = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= want then return cur - now end
redis.call('SET', KEYS[1], want, 'PX', want - now)
return want - now
