-- wrk script: POST /v1/search with the queries of core/benches/query-mix.txt in turn, in the mode
-- given by the MODE environment variable (instant or full). Prints one JSON line at the end.
local mode = os.getenv("MODE") or "instant"
local file = os.getenv("QUERY_MIX") or "core/benches/query-mix.txt"
local bodies = {}
for line in io.lines(file) do
  if line:match("%S") then
    local q = line:gsub("\\", "\\\\"):gsub('"', '\\"')
    bodies[#bodies + 1] = '{"q":"' .. q .. '","mode":"' .. mode .. '","limit":20,"highlight":true}'
  end
end
stride = 17
dofile("tools/load/report.lua")

function request()
  i = i + 1
  local body = bodies[(i % #bodies) + 1]
  return wrk.format("POST", "/v1/search", { ["Content-Type"] = "application/json" }, body)
end
