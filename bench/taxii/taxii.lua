-- wrk script for the TAXII 2.1 benchmarks (bench/taxii/run.sh). Configured by environment:
--
--   BENCH_AUTH        value of the Authorization header (e.g. "Bearer ..." or "Basic ...")
--   BENCH_MODE        "get" (default) or "post"
--   BENCH_PATHS       optional file of request paths, one a line; each request picks one at
--                     random (GET only; otherwise the path of the URL given to wrk is used)
--   BENCH_BATCH       objects per POSTed envelope (default 1000)
--   BENCH_NONCE       hex string that makes POSTed identifiers unique to this run
--   BENCH_MAX         stop a thread after this many responses (default: only -d bounds the
--                     run; wrk still reports the full -d as the duration)
--
-- At the end one line is printed:  RESULT {json}  with requests/s, latency percentiles (ms),
-- error counts, and for POST the objects the server reported as stored (success_count).

local mode = os.getenv("BENCH_MODE") or "get"
local auth = os.getenv("BENCH_AUTH")
local batch = tonumber(os.getenv("BENCH_BATCH") or "1000")
local nonce = os.getenv("BENCH_NONCE") or "00000000"
local max_responses = tonumber(os.getenv("BENCH_MAX") or "0")
local paths_file = os.getenv("BENCH_PATHS")

local TAXII = "application/taxii+json;version=2.1"
wrk.headers["Accept"] = TAXII
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
if mode == "post" then
  -- wrk.format uses wrk.headers unless given a table, so every header is set here.
  wrk.headers["Content-Type"] = TAXII
end

local threads = {}
local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
  table.insert(threads, thread)
end

local paths = nil
local counter = 0
local responses = 0
objects_ok = 0
non_complete = 0

function init(args)
  math.randomseed(1000 + (tid or 0))
  if paths_file and paths_file ~= "" and mode == "get" then
    paths = {}
    for line in io.lines(paths_file) do
      if #line > 0 then
        table.insert(paths, line)
      end
    end
  end
end

-- One POST envelope of `batch` fresh indicators; identifiers are unique per (run, thread,
-- request, index), so every object is new to the server.
local function envelope()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    local id = string.format("indicator--%s-%04x-4000-8%03x-0000%08x",
      nonce, tid % 65536, i % 4096, counter % 4294967296)
    local ip = string.format("10.%d.%d.%d", counter % 256, math.floor(i / 256) % 256, i % 256)
    parts[i] = string.format(
      '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-02-01T00:00:00.000Z",' ..
      '"modified":"2026-02-01T00:00:00.000Z","name":"Load test %s","pattern":"[ipv4-addr:value = \'%s\']",' ..
      '"pattern_type":"stix","valid_from":"2026-02-01T00:00:00Z"}', id, ip, ip)
  end
  return '{"objects":[' .. table.concat(parts, ",") .. ']}'
end

function request()
  if mode == "post" then
    return wrk.format("POST", nil, nil, envelope())
  end
  if paths then
    return wrk.format("GET", paths[math.random(#paths)])
  end
  return wrk.format("GET")
end

if mode == "post" then
  function response(status, headers, body)
    responses = responses + 1
    local ok = tonumber(string.match(body or "", '"success_count"%s*:%s*(%d+)') or "0")
    objects_ok = objects_ok + ok
    if not string.find(body or "", '"status"%s*:%s*"complete"') then
      non_complete = non_complete + 1
    end
    if max_responses > 0 and responses >= max_responses then
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local ok, pending = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("objects_ok") or 0)
    pending = pending + (t:get("non_complete") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"errors_status":%d,"errors_socket":%d,"objects_ok":%d,' ..
    '"objects_per_s":%.1f,"not_complete":%d,"bytes":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, ok, ok / seconds, pending, summary.bytes))
end
