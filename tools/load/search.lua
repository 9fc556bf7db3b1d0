-- wrk script: POST /v1/search with the queries of benches/query-mix.txt in turn, in the mode
-- given by the MODE environment variable (instant or full). Prints one JSON line at the end.
local mode = os.getenv("MODE") or "instant"
local file = os.getenv("QUERY_MIX") or "benches/query-mix.txt"
local bodies = {}
for line in io.lines(file) do
  if line:match("%S") then
    local q = line:gsub("\\", "\\\\"):gsub('"', '\\"')
    bodies[#bodies + 1] = '{"q":"' .. q .. '","mode":"' .. mode .. '","limit":20,"highlight":true}'
  end
end
local non_ok = 0
local threads = {}

-- Each thread starts at another place in the mix.
function setup(thread)
  thread:set("offset", #threads * 17)
  threads[#threads + 1] = thread
end

function init(args)
  i = offset
  bad = 0
end

function request()
  i = i + 1
  local body = bodies[(i % #bodies) + 1]
  return wrk.format("POST", "/v1/search", { ["Content-Type"] = "application/json" }, body)
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
