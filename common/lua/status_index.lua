-- status_index.lua - one step of building P:bystatus:<status> for results
-- written before the index existed: a ZSCAN step of P:devices, each
-- device put in the set of its result's status and taken out of the
-- others.  A ZSCAN sees every device present for the whole scan, and the
-- scripts keep the index from the first write on, so once the scan is
-- over the index is whole and P:status_index says so.
-- KEYS: devices marker   ARGV: prefix cursor count
-- Returns the next cursor: "0" when the scan is over and the marker set.
local r = redis.call('ZSCAN', KEYS[1], ARGV[2], 'COUNT', tonumber(ARGV[3]))
local items = r[2]
for i = 1, #items, 2 do
  local dev = items[i]
  local st = redis.call('HGET', ARGV[1] .. ':result:' .. dev, 'status')
  if st then
    for _, s in ipairs(STATUSES) do
      if s ~= st then redis.call('ZREM', ARGV[1] .. ':bystatus:' .. s, dev) end
    end
    -- GT: a change a script made meanwhile keeps its newer time.
    redis.call('ZADD', ARGV[1] .. ':bystatus:' .. st, 'GT', items[i + 1], dev)
  end
end
if r[1] == '0' then redis.call('SET', KEYS[2], '1') end
return r[1]
