-- GET a fixed path with the bench key (availability reads, and the trivial endpoint).
local key = os.getenv("OM_KEY") or ""
local path = os.getenv("OM_PATH")

request = function()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. key})
end

done = dofile(os.getenv("OM_WRK_DIR") .. "/report.lua")
