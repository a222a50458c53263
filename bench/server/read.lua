-- wrk script: POST /get-online-features for ranking_v1 with KEYS keys
-- (env BENCH_KEYS, default 1), random seed users and products; prints
-- requests/s and p50/p99/p99.9 in microseconds when done.
local keys = tonumber(os.getenv("BENCH_KEYS") or "1")
local bodies = {}

function init(args)
  math.randomseed(42)
  for b = 1, 64 do
    local users, products = {}, {}
    for i = 1, keys do
      users[i] = string.format('"u%04d"', math.random(0, 39))
      products[i] = string.format('"p%04d"', math.random(0, 27))
    end
    bodies[b] = '{"feature_set": "ranking_v1", "as_of": "2024-05-01T00:00:00Z", "entities": {"user_id": ['
      .. table.concat(users, ",") .. '], "product_id": [' .. table.concat(products, ",") .. ']}}'
  end
end

local n = 0
function request()
  n = n + 1
  return wrk.format("POST", "/get-online-features", {["Content-Type"] = "application/json"},
                    bodies[n % #bodies + 1])
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
