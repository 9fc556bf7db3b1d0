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
stride = 101
dofile("tools/load/report.lua")

function request()
  i = i + 1
  if route == "categories" then
    return wrk.format("GET", "/v1/categories")
  end
  return wrk.format("GET", "/v1/products/" .. ids[(i % #ids) + 1])
end
