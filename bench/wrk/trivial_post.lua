-- POST the same size of JSON body to the trivial endpoint, so parsing costs are comparable.
local body = '{"channel":"web","external_id":"x","currency":"EUR","customer":{"email":"b@example.com"},' ..
  '"lines":[{"sku":"SKU-0001","quantity":1,"unit_price":"19.99"},{"sku":"SKU-0002","quantity":2,"unit_price":"5.00"},' ..
  '{"sku":"SKU-0003","quantity":1,"unit_price":"42.50"}],"delivery":{"method":"ship","address":{"line1":"Hauptstr. 1",' ..
  '"city":"Somewhere","postal_code":"10115","country":"DE","latitude":52.1,"longitude":9.2}}}'

request = function()
  return wrk.format("POST", "/trivial", {["Content-Type"] = "application/json"}, body)
end

done = dofile(os.getenv("OM_WRK_DIR") .. "/report.lua")
