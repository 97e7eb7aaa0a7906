-- GET a fixed path with the bench key (availability reads, and the trivial endpoint).
local key = os.getenv("OM_KEY") or ""
local path = os.getenv("OM_PATH")

request = function()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. key})
end

done = function(summary, latency, requests)
  io.write(string.format("OM_RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
