-- wrk script: every request picks a random line of a file written by bench/run.py.
--
--   wrk -t1 -c32 -d10s --latency -s bench/wrk/random_paths.lua http://127.0.0.1:8000 -- FILE SEED
--
-- Each line is "PATH" or "PATH<TAB>ETAG"; with an ETag the request sends If-None-Match.
-- The seed is fixed per run, so a repeat replays the same random sequence of paths.
-- done() prints one line "WRKJSON {...}" with exact percentiles for run.py to read.

local paths = {}
local etags = {}

function init(args)
  for line in io.lines(args[1]) do
    local path, etag = line:match("^([^\t]+)\t?(.*)$")
    if path then
      paths[#paths + 1] = path
      etags[#etags + 1] = etag
    end
  end
  if #paths == 0 then
    error("no paths in " .. args[1])
  end
  math.randomseed(tonumber(args[2]) or 1)
end

function request()
  local i = math.random(#paths)
  local etag = etags[i]
  if etag ~= nil and etag ~= "" then
    return wrk.format("GET", paths[i], { ["If-None-Match"] = etag })
  end
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean
  ))
end
