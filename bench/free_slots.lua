-- wrk script for GET /api/v1/mediators/{id}/free-slots (see bench/README.md).
--
-- Environment:
--   TOKEN      bearer token (required)
--   MEDIATOR   mediator id (required)
--   MODE       "day" (default): one local day per request, weekdays only;
--              "range60": 60 days per request
--   FIRST_DAY  first local day of the seeded data, YYYY-MM-DD (default 2026-09-02)
--   DAYS       days of seeded data (default 360)
--   DURATION   duration_minutes (default 60)
--
-- Requests walk the days round-robin (each wrk thread starts at a different
-- offset). A local day D of Asia/Almaty (UTC+5) is asked as
-- from=(D-1)T19:00:00Z to=DT19:00:00Z. done() prints one JSON line with the
-- figures, for the shell script to pick up.

local token = os.getenv("TOKEN") or error("TOKEN is not set")
local mediator = os.getenv("MEDIATOR") or error("MEDIATOR is not set")
local mode = os.getenv("MODE") or "day"
local first_day = os.getenv("FIRST_DAY") or "2026-09-02"
local days = tonumber(os.getenv("DAYS") or "360")
local duration = os.getenv("DURATION") or "60"

local y, m, d = first_day:match("^(%d+)-(%d+)-(%d+)$")
-- Noon, so that the local zone of the machine running wrk cannot shift a day.
local base = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })

local function day_string(t)
  return os.date("%Y-%m-%d", t)
end

-- The local day starting at time t (noon of day D) as a UTC range.
local function range(t, n_days)
  local from = day_string(t - 86400) .. "T19:00:00Z"
  local to = day_string(t + (n_days - 1) * 86400) .. "T19:00:00Z"
  return from, to
end

local paths = {}
if mode == "range60" then
  -- Every start day such that the 60 days stay inside the data.
  for i = 0, days - 60 do
    local from, to = range(base + i * 86400, 60)
    paths[#paths + 1] = string.format(
      "/api/v1/mediators/%s/free-slots?from=%s&to=%s&duration_minutes=%s",
      mediator, from, to, duration)
  end
else
  for i = 0, days - 1 do
    local t = base + i * 86400
    local wday = os.date("*t", t).wday -- 1 = Sunday, 7 = Saturday
    if wday ~= 1 and wday ~= 7 then
      local from, to = range(t, 1)
      paths[#paths + 1] = string.format(
        "/api/v1/mediators/%s/free-slots?from=%s&to=%s&duration_minutes=%s",
        mediator, from, to, duration)
    end
  end
end

local thread_count = 0
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local counter
function init(args)
  counter = ((thread_index or 0) * 37) % #paths
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/json"
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"mode":"%s","paths":%d,"requests":%d,"seconds":%.2f,"rps":%.1f,'
      .. '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    mode, #paths, summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
