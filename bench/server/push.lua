-- wrk script: POST /push of ROWS purchases as CSV per request (env
-- BENCH_ROWS, default 1000); prints pushed rows/s and latency when done.
local rows = tonumber(os.getenv("BENCH_ROWS") or "1000")
local bodies = {}

function init(args)
  math.randomseed(7)
  for b = 1, 16 do
    local lines = {"ts,user_id,product_id,amount,category"}
    for i = 1, rows do
      lines[#lines + 1] = string.format("2024-05-%02dT%02d:%02d:%02dZ,u%04d,p%04d,%d.%02d,food",
        math.random(1, 28), math.random(0, 23), math.random(0, 59), math.random(0, 59),
        math.random(0, 39), math.random(0, 27), math.random(1, 500), math.random(0, 99))
    end
    local csv = table.concat(lines, "\\n") .. "\\n"
    bodies[b] = '{"source": "purchases", "csv": "' .. csv .. '"}'
  end
end

local n = 0
function request()
  n = n + 1
  return wrk.format("POST", "/push", {["Content-Type"] = "application/json"}, bodies[n % #bodies + 1])
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rows_per_s=%.0f requests_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
    rows * summary.requests / (summary.duration / 1e6), summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
