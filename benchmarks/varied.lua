-- wrk script for the "varied ids" scenario: GET /items/<id> over 5,000 distinct ids, so that
-- no cache keyed by path can help (the ids match benchmarks/scenarios.py's VARIED_IDS).
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/items/" .. ((i * 7919) % 5000 + 1000))
end
