-- wrk script: the routes that read the SQLite replica, chosen by ROUTE: `product`
-- (GET /v1/products/{id} over the ids listed in the file IDS, in turn) or `categories`
-- (GET /v1/categories). Prints one JSON line at the end, as search.lua does.
local route = os.getenv("ROUTE") or "product"
local ids = {}
if route == "product" then
  for line in io.lines(os.getenv("IDS") or "target/bench-load-ids.txt") do
    if line:match("%S") then ids[#ids + 1] = line end
  end
end
local non_ok = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 101)
  threads[#threads + 1] = thread
end

function init(args)
  i = offset
  bad = 0
end

function request()
  i = i + 1
  if route == "categories" then
    return wrk.format("GET", "/v1/categories")
  end
  return wrk.format("GET", "/v1/products/" .. ids[(i % #ids) + 1])
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do non_ok = non_ok + (t:get("bad") or 0) end
  local errors = summary.errors
  local socket = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"status_not_200":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    errors.status, non_ok, socket))
end
