-- Place 3-line orders with unique external ids and Idempotency-Keys.
-- Env: OM_KEY (bearer key), OM_SKUS (count of SKUs named SKU-0000 …), OM_RUN (a run tag).
local key = os.getenv("OM_KEY")
local sku_count = tonumber(os.getenv("OM_SKUS") or "50")
local run = os.getenv("OM_RUN") or "run"
local threads = {}
local counter = 0
-- `tid` is a global that setup() gives each thread (a local here would shadow it).

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919 + os.time())
end

local function sku()
  return string.format("SKU-%04d", math.random(0, sku_count - 1))
end

request = function()
  counter = counter + 1
  local id = string.format("%s-%d-%d", run, tid, counter)
  local a, b, c = sku(), sku(), sku()
  while b == a do b = sku() end
  while c == a or c == b do c = sku() end
  local lat = 47.5 + math.random() * 6.5
  local lon = 6.0 + math.random() * 8.5
  local body = string.format(
    '{"channel":"web","external_id":"%s","currency":"EUR","customer":{"email":"b%d@example.com"},' ..
    '"lines":[{"sku":"%s","quantity":1,"unit_price":"19.99"},{"sku":"%s","quantity":2,"unit_price":"5.00"},' ..
    '{"sku":"%s","quantity":1,"unit_price":"42.50"}],"delivery":{"method":"ship","address":{"line1":"Hauptstr. 1",' ..
    '"city":"Somewhere","postal_code":"10115","country":"DE","latitude":%.4f,"longitude":%.4f}}}',
    id, counter, a, b, c, lat, lon)
  return wrk.format("POST", "/api/v1/orders",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json", ["Idempotency-Key"] = id}, body)
end

done = dofile(os.getenv("OM_WRK_DIR") .. "/report.lua")
