-- Shared by the wrk scripts of tools/bench-load.sh (loaded with dofile from the repository
-- root): each thread starts at another place in the script's list (`stride` apart), counts
-- answers that are not 200, and one JSON line is printed at the end.
local non_ok = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * (stride or 17))
  threads[#threads + 1] = thread
end

function init(args)
  i = offset
  bad = 0
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
