-- wrk script for bench/case_list.sh: the clerk's case list with its session
-- cookie, cycling through the ways a clerk reads it (first page, a status,
-- a category, near deadlines, a number search).
local cookie = os.getenv("COOKIE")
local paths = {
  "/home",
  "/home?status=referred",
  "/home?category=family",
  "/home?soon=1",
  "/home?number=2-1234",
  "/home?status=scheduled&category=civil",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Cookie"] = cookie })
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"rps\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"errors\": %d}\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
