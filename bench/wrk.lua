-- wrk.lua - the benchmark's wrk script: rotates over request paths and
-- reports one JSON line.
--
-- usage: wrk ... -s bench/wrk.lua http://HOST:PORT/ -- [PATHS_FILE]
-- With PATHS_FILE (one path per line, e.g. /kyotei-2024/.../objects/ID/), each
-- connection cycles through the paths from a different starting point;
-- without it, every request goes to the URL given to wrk. Headers come from
-- wrk's -H options. At the end it prints one line, "BENCH_JSON {...}", with
-- the request count, the duration, errors by kind, non-2xx answers and the
-- latency percentiles in microseconds.

local paths = nil
local next_i = 1
local thread_no = 0

-- Runs in the main Lua state, once per wrk thread: number the threads.
function setup(thread)
	thread_no = thread_no + 1
	thread:set("tid", thread_no)
end

function init(args)
	local file = args[1]
	if file ~= nil and file ~= "" then
		paths = {}
		for line in io.lines(file) do
			if line ~= "" then
				paths[#paths + 1] = line
			end
		end
		if #paths == 0 then
			paths = nil
		else
			-- Threads start at different points of the list.
			math.randomseed(os.time() * 1000 + (tid or 0))
			next_i = math.random(#paths)
		end
	end
end

function request()
	if paths == nil then
		return wrk.format(nil)
	end
	local p = paths[next_i]
	next_i = next_i % #paths + 1
	return wrk.format(nil, p)
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		'BENCH_JSON {"requests":%d,"seconds":%.3f,"requests_per_s":%.1f,' ..
		'"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
		'"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
		summary.requests, secs, summary.requests / secs, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max))
end
