-- wrk script: POST /push of ROWS purchases as CSV per request (env
-- BENCH_ROWS, default 1000), event times moving forward one second a row
-- across requests (as a live stream's would: the store is not made to
-- sort history); prints pushed rows/s and latency when done.
local rows = tonumber(os.getenv("BENCH_ROWS") or "1000")
local parts = {}
local start = 1714521600    -- 2024-05-01T00:00:00Z
local thread_index = 0

function setup(thread)
  thread:set("id", thread_index)
  thread_index = thread_index + 1
end

function init(args)
  math.randomseed(7)
  for i = 1, rows do
    parts[i] = string.format(",u%04d,p%04d,%d.%02d,food", math.random(0, 39), math.random(0, 27),
                             math.random(1, 500), math.random(0, 99))
  end
end

local n = 0
function request()
  local lines = {'{"source": "purchases", "csv": "ts,user_id,product_id,amount,category\\n'}
  local base = start + (n * 64 + (id or 0)) * rows
  for i = 1, rows do
    lines[#lines + 1] = (base + i) .. parts[i] .. "\\n"
  end
  lines[#lines + 1] = '"}'
  n = n + 1
  return wrk.format("POST", "/push", {["Content-Type"] = "application/json"}, table.concat(lines))
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rows_per_s=%.0f requests_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
    rows * summary.requests / (summary.duration / 1e6), summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
