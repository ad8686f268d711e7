-- bench.api's report for wrk: round-robin over the paths given after `--`, one JSON line at the end.
--   wrk -t1 -c32 -d10s --latency -s bench/wrk_report.lua http://127.0.0.1:PORT -- /a /b ...
-- No response() callback: defining one makes wrk hand every header and body to Lua, a cost of the loader's
-- own; a status of 400 or more is counted by wrk itself (summary.errors.status).
local paths = {}
local next_path = 0

function init(args)
  for i = 1, #args do paths[#paths + 1] = args[i] end
  if #paths == 0 then paths[1] = "/" end
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"socket_errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
