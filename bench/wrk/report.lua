-- The one line bench/run.py reads from every wrk run: rate, latency percentiles and failures.
return function(summary, latency, requests)
  io.write(string.format("OM_RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
