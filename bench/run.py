#!/usr/bin/env python3
"""run.py - renkei's benchmark (DESIGN.md §7): load a fresh hub, measure it.

Starts the real `renkei serve` on 127.0.0.1 with a fresh demo hub in a
temporary directory, loads it through TAXII POST with bench/post_load (our
libcurl-multi driver), and measures GETs with wrk at each store size:

  ingest      objects/s through POST (1 KB indicators, envelopes of 1,000),
              with 1 writer and with 4
  page_all    GET objects/?limit=100, the first page, for a requester who
              sees every object (mod-analyst)
  page_1pct   the same for a requester who sees 1 % (sdf-analyst)
  deep_all    pages deep in the collection (added_after spread over it)
  deep_1pct   the same for the 1 % requester
  by_id       GET objects/{id}/ over random ids
  memory      the server's peak resident memory (VmHWM) while loading and,
              from a fresh process, while serving at that size

The 1 %: every 100th indicator carries a sharing-scope marking naming the
agreement's parties and community (DESIGN.md §4.4); the others get the
collection's default scope, the parties only.

Every wait and every child is bounded in time. The figures go to one JSON
file (bench/results/, git-ignored) and a Markdown table on stdout for
docs/PERFORMANCE.md. --short (what `make test` runs) uses small sizes and
one-second runs and checks that every step worked; it asserts no timing.

Depends on the Python 3 standard library, wrk, and the two binaries only;
it talks to renkei over HTTP, never to its database.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(REPO, "bench")
MEDIA = "application/taxii+json;version=2.1"
ROOT = "kyotei-2024"
COLL = "threat-sharing"
IPA_IDENTITY = "identity--6f1be615-bd2a-40b6-9533-e93a15663284"
WRITER_USER = "ipa-analyst"  # posts; the collection's default scope: parties
ALL_USER = "mod-analyst"  # a party: sees every posted object
PCT_USER = "sdf-analyst"  # a community member: sees the 1 % marked for it

# DESIGN.md §7, the budget each figure is held against.
BUDGET = {
    "ingest_per_s": 50000,
    "pages_per_s": 5000,
    "p99_ms": 25,
    "size_ratio": 1.5,
    "rss_mb": 64,
}


class Failed(Exception):
    pass


class Checks:
    """Counts what the short mode verifies (the test runner reads the tally)."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
            print("!! check failed: %s" % what, file=sys.stderr, flush=True)
        return cond

    def must(self, cond, what):
        if not self.ok(cond, what):
            raise Failed(what)


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339_us(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- the machine ----


def read_first(path, pattern):
    try:
        with open(path) as f:
            for line in f:
                m = re.match(pattern, line)
                if m:
                    return m.group(1).strip()
    except OSError:
        pass
    return None


def run_out(cmd, timeout=10):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine_info(args):
    git = run_out(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    dirty = run_out(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"])
    wrk_v = run_out(["wrk", "--version"]) or ""
    mem_kb = read_first("/proc/meminfo", r"MemTotal:\s+(\d+)")
    return {
        "host": platform.node(),
        "cpu": read_first("/proc/cpuinfo", r"model name\s*:\s*(.*)"),
        "cores": os.cpu_count(),
        "memory_mb": int(mem_kb) // 1024 if mem_kb else None,
        "kernel": platform.release(),
        "os": read_first("/etc/os-release", r'PRETTY_NAME="?([^"]*)"?'),
        "sqlite": run_out(["pkg-config", "--modversion", "sqlite3"]),
        "libmicrohttpd": run_out(["pkg-config", "--modversion", "libmicrohttpd"]),
        "wrk": wrk_v.split()[1] if len(wrk_v.split()) > 1 else None,
        "renkei": (run_out([args.renkei, "version"]) or "").replace("renkei ", ""),
        "renkei_binary": args.renkei,
        "git_commit": git,
        "git_dirty": bool(dirty),
        "load_average_at_start": os.getloadavg(),
        "note": "load generator and server on the same machine, over loopback",
        "postgresql": pg_setting(args, "server_version") if args.database else None,
    }


def pg_setting(args, name):
    """A setting of the benchmark's PostgreSQL server, through psql (None without it)."""
    return run_out(["psql", "-AtX", "-d", args.database, "-c", "SHOW %s" % name])


# ---- the server ----


def tls_files(data):
    """A self-signed P-256 certificate for 127.0.0.1 in the hub's directory,
    made once by openssl: (certificate, key)."""
    cert, key = os.path.join(data, "tls-cert.pem"), os.path.join(data, "tls-key.pem")
    if not os.path.exists(cert):
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                            "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise Failed("openssl could not make a certificate: %s" % p.stderr.strip())
    return cert, key


class Server:
    """renkei serve on a free port; with tls, HTTPS (the GET figures of --tls)."""

    def __init__(self, args, data, tag, tls=False):
        self.args = args
        self.data = data
        self.tag = tag
        self.proc = None
        self.port = None
        self.log_path = os.path.join(data, "serve-%s.log" % tag)
        self.tls = tls
        self.ctx = None

    def start(self):
        port_file = os.path.join(self.data, "port-%s" % self.tag)
        if os.path.exists(port_file):
            os.unlink(port_file)
        cmd = [self.args.renkei, "serve", "--data", self.data, "--port", "0",
               "--port-file", port_file, "--threads", str(self.args.threads),
               "--io-threads", str(self.args.io_threads)]
        if self.tls:
            cert, key = tls_files(self.data)
            cmd += ["--tls-cert", cert, "--tls-key", key]
            self.ctx = ssl.create_default_context(cafile=cert)
        self.log_f = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log_f, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failed("renkei serve exited early (see %s)" % self.log_path)
            try:
                with open(port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    with urllib.request.urlopen(self.url("/healthz"), timeout=5,
                                                context=self.ctx) as r:
                        if r.status == 200:
                            return self
            except (OSError, ValueError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise Failed("renkei serve did not become healthy in 30 s")

    def memory(self):
        """VmHWM (peak) and VmRSS of the server process, in MB."""
        out = {}
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmHWM", "VmRSS"):
                        out[k.lower() + "_mb"] = round(int(v.split()[0]) / 1024.0, 1)
        except OSError:
            pass
        return out

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.log_f.close()

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)


def objects_path(stix_id=None):
    p = "/%s/collections/%s/objects/" % (ROOT, COLL)
    return p + stix_id + "/" if stix_id else p


def taxii_get(server, path, token):
    req = urllib.request.Request(server.url(path), headers={
        "Accept": MEDIA, "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=60, context=server.ctx) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, None


# ---- load generators ----


def post_load(args, server, token, n, writers, scope_ref, define_scope, seconds, times):
    cmd = [args.post_load, "--times", times, "--url", server.url(objects_path()), "--token", token,
           "--writers", str(writers), "--objects", str(n), "--envelope", str(args.envelope),
           "--identity", IPA_IDENTITY, "--scope-ref", scope_ref, "--scope-every", "100",
           "--seconds", str(max(1, int(seconds)))]
    if define_scope:
        cmd.append("--define-scope")
    t0 = now_utc()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 330)
    except subprocess.TimeoutExpired:
        raise Failed("post_load did not finish in time")
    t1 = now_utc()
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise Failed("post_load printed no result: %s" % p.stderr.strip())
    res["wall_start"] = t0
    if p.returncode != 0:
        log("post_load: %s" % (res.get("error") or p.stderr.strip()))
    return res


def wrk_run(args, server, token, url_path, paths_file, seconds, connections=None):
    c = connections or args.connections
    cmd = ["wrk", "-t", str(min(args.wrk_threads, c)), "-c", str(c),
           "-d", "%ds" % seconds, "--timeout", "10s", "-s", os.path.join(HERE, "wrk.lua"),
           "-H", "Accept: " + MEDIA, "-H", "Authorization: Bearer " + token,
           server.url(url_path)]
    if paths_file:
        cmd += ["--", paths_file]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise Failed("wrk did not finish in time")
    m = re.search(r"^BENCH_JSON (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise Failed("wrk failed: %s %s" % (p.stdout.strip(), p.stderr.strip()))
    return json.loads(m.group(1))


# ---- the run ----


def summarise(runs):
    """Median and spread of repeated wrk runs (latency over the runs that
    completed requests; None when none did)."""
    rps = [r["requests_per_s"] for r in runs]
    done = [r for r in runs if r["requests"]]
    p50 = [r["latency_us"]["p50"] / 1000.0 for r in done]
    p99 = [r["latency_us"]["p99"] / 1000.0 for r in done]

    def rnd(f, v):
        return round(f(v), 2) if v else None

    errs = {}
    for r in runs:
        for k, v in r["errors"].items():
            errs[k] = errs.get(k, 0) + v
    return {
        "requests_per_s": round(statistics.median(rps), 1),
        "requests_per_s_min": round(min(rps), 1),
        "requests_per_s_max": round(max(rps), 1),
        "p50_ms": rnd(statistics.median, p50),
        "p99_ms": rnd(statistics.median, p99),
        "p99_ms_min": rnd(min, p99),
        "p99_ms_max": rnd(max, p99),
        "bytes_per_request": int(sum(r["bytes"] for r in runs) /
                                 max(1, sum(r["requests"] for r in runs))),
        "errors": errs,
        "requests": sum(r["requests"] for r in runs),
        "runs": runs,
    }


def ms(v):
    return "%.1f ms" % v if v is not None else "n/a"


def num(v):
    return "%.1f" % v if v is not None else "n/a"


class Timeline:
    """When the loaded objects were added, from post_load's --times anchors.

    An anchor (i, t) says that the first i posted objects were added before
    t; added_after=t then starts a page at about the i-th object.
    """

    def __init__(self):
        self.anchors = [(0, None)]

    def add(self, first, t0, times_file):
        self.anchors.append((first, t0))
        n = first
        with open(times_file) as f:
            for line in f:
                us, k = (int(x) for x in line.split())
                n += k
                self.anchors.append((n, datetime.datetime.fromtimestamp(
                    us / 1e6, datetime.timezone.utc)))

    def time_of(self, i):
        """A time after which objects from about the i-th onwards were added."""
        best = None
        for n, t in self.anchors:
            if n <= i and t is not None:
                best = t
        return best


def collect_ids(server, token, timeline, loaded, want, rnd):
    """Random ids of posted objects, read through the API at random depths."""
    ids = set()
    tries = 0
    while len(ids) < want and tries < 40:
        tries += 1
        at = timeline.time_of(rnd.randrange(0, max(1, loaded)))
        q = "?limit=1000" + ("&added_after=" + rfc3339_us(at) if at else "")
        st, doc = taxii_get(server, objects_path() + q, token)
        if st != 200:
            log("collecting ids: %s answered %s" % (objects_path() + q, st))
            break
        # {} is a page past the last object (with several writers an anchor
        # can be later than every object): try another depth.
        for o in (doc or {}).get("objects", []):
            if o.get("type") == "indicator":
                ids.add(o["id"])
    ids = sorted(ids)
    rnd.shuffle(ids)
    return ids[:want]


def measure_size(args, chk, data, tokens, timeline, loaded, size, rnd, result):
    """Every GET scenario at one size, on a fresh server process."""
    srv = Server(args, data, "get-%d" % size, tls=args.tls).start()
    try:
        out = {"objects_posted": loaded}
        mem0 = srv.memory()
        # Deep pages: added_after spread from 2 % to 90 % of the collection.
        deep = []
        for k in range(args.deep_pages):
            i = int(loaded * (0.02 + 0.88 * k / max(1, args.deep_pages - 1)))
            t = timeline.time_of(min(i, loaded - 1))
            if t:
                deep.append(objects_path() + "?limit=100&added_after=" + rfc3339_us(t))
        deep_file = os.path.join(data, "deep-%d.txt" % size)
        with open(deep_file, "w") as f:
            f.write("\n".join(deep) + "\n")
        ids = collect_ids(srv, tokens[ALL_USER], timeline, loaded, args.ids, rnd)
        ids_file = os.path.join(data, "ids-%d.txt" % size)
        with open(ids_file, "w") as f:
            f.write("\n".join(objects_path(i) for i in ids) + "\n")

        # What each scenario must answer, checked once before it is timed.
        page = objects_path() + "?limit=100"
        st, doc = taxii_get(srv, page, tokens[ALL_USER])
        chk.must(st == 200 and len(doc.get("objects", [])) == 100 and doc.get("more"),
                 "size %d: the first page holds 100 objects for %s" % (size, ALL_USER))
        st, doc = taxii_get(srv, page, tokens[PCT_USER])
        n_pct = len(doc.get("objects", [])) if st == 200 and doc else -1
        chk.must(n_pct > 0, "size %d: %s sees some objects" % (size, PCT_USER))
        if loaded >= 100 * 100:
            chk.ok(n_pct == 100, "size %d: %s gets a full page" % (size, PCT_USER))
        st, doc = taxii_get(srv, deep[len(deep) // 2], tokens[ALL_USER])
        chk.must(st == 200 and len(doc.get("objects", [])) == 100,
                 "size %d: a deep page holds 100 objects" % size)
        st, doc = taxii_get(srv, deep[len(deep) // 2], tokens[PCT_USER])
        chk.must(st == 200 and doc.get("objects"),
                 "size %d: a deep page is not empty for %s" % (size, PCT_USER))
        chk.must(len(ids) >= min(args.ids, 10), "size %d: ids collected (%d)" % (size, len(ids)))
        st, doc = taxii_get(srv, objects_path(ids[0]), tokens[ALL_USER])
        chk.must(st == 200 and len(doc.get("objects", [])) == 1,
                 "size %d: GET by id answers the object" % size)

        # How many objects each scenario's pages hold: at 10 k objects the 1 %
        # requester sees 100 in all, so its deep pages are not full, and a
        # page's cost is compared per object as well (markdown()).
        per_page = {"page_all": 100, "page_1pct": n_pct, "by_id": 1}
        for name, user in (("deep_all", ALL_USER), ("deep_1pct", PCT_USER)):
            n = [len((taxii_get(srv, d, tokens[user])[1] or {}).get("objects", []))
                 for d in deep]
            per_page[name] = round(statistics.mean(n), 1) if n else 0

        # Warm the page cache a little, untimed, as a server in service would be.
        if not args.short:
            wrk_run(args, srv, tokens[ALL_USER], page, deep_file, 2)

        scenarios = [
            ("page_all", ALL_USER, page, None),
            ("page_1pct", PCT_USER, page, None),
            ("deep_all", ALL_USER, page, deep_file),
            ("deep_1pct", PCT_USER, page, deep_file),
            ("by_id", ALL_USER, page, ids_file),
        ]
        for name, user, path, pfile in scenarios:
            # One connection alone first (the service time, without queueing),
            # before the loaded runs leave a backlog of slow requests behind.
            alone = {"requests": 0, "p50_ms": None, "p99_ms": None}
            if args.alone_duration > 0:
                a = wrk_run(args, srv, tokens[user], path, pfile, args.alone_duration, 1)
                if a["requests"]:
                    alone = {"requests": a["requests"],
                             "p50_ms": round(a["latency_us"]["p50"] / 1000.0, 2),
                             "p99_ms": round(a["latency_us"]["p99"] / 1000.0, 2)}
            runs = []
            load_before = os.getloadavg()[0]
            for _ in range(args.repeat):
                runs.append(wrk_run(args, srv, tokens[user], path, pfile, args.duration))
            s = summarise(runs)
            s["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            s["alone"] = alone
            s["objects_per_page"] = per_page[name]
            # A server too slow to answer within wrk's 10 s timeout is a
            # finding, not a broken harness: only the short mode insists.
            broken = sum(v for k, v in s["errors"].items() if k != "timeout")
            chk.ok(broken == 0, "size %d %s: no connection errors and no non-2xx (%d)" %
                   (size, name, broken))
            if args.short:
                chk.ok(s["requests"] > 0 and not s["errors"]["timeout"],
                       "size %d %s: requests answered in time" % (size, name))
            out[name] = s
            log("  %-9s %8.0f req/s (%.0f-%.0f)  p50 %s  p99 %s (%s-%s ms)  alone p50 %s  "
                "timeouts %d" %
                (name, s["requests_per_s"], s["requests_per_s_min"], s["requests_per_s_max"],
                 ms(s["p50_ms"]), ms(s["p99_ms"]), num(s["p99_ms_min"]), num(s["p99_ms_max"]),
                 ms(s["alone"]["p50_ms"]), s["errors"]["timeout"]))
        out["memory_serving"] = srv.memory()
        out["memory_serving_at_start"] = mem0
        chk.ok("vmhwm_mb" in out["memory_serving"], "size %d: the server's VmHWM read" % size)
        out["database_mb"] = database_mb(args, data)
        result["sizes"][str(size)] = out
    finally:
        srv.stop()


def database_mb(args, data):
    """The database's size on disk: the SQLite file and its WAL, or PostgreSQL's
    pg_database_size; None when it cannot be read."""
    if args.database:
        out = run_out(["psql", "-AtX", "-d", args.database, "-c",
                       "SELECT pg_database_size(current_database())"])
        return round(int(out) / 1048576.0, 1) if out and out.isdigit() else None
    db = os.path.join(data, "renkei.db")
    return round(sum(os.path.getsize(db + s) for s in ("", "-wal")
                     if os.path.exists(db + s)) / 1048576.0, 1)


def load_to(args, chk, data, tokens, timeline, loaded, target, writers, scope_ref, first,
            deadline, result, label):
    """Posts objects until target are loaded (or time is up); returns the count."""
    n = target - loaded
    if n <= 0:
        return loaded
    remaining = deadline - time.monotonic()
    if remaining < 5:
        raise Failed("out of time before loading to %d" % target)
    srv = Server(args, data, "load-%s" % label).start()
    try:
        log("load %d -> %d with %d writer(s)" % (loaded, target, writers))
        times = os.path.join(data, "times-%s.txt" % label)
        r = post_load(args, srv, tokens[WRITER_USER], n, writers, scope_ref, first,
                      min(remaining - 60, args.max_load_seconds), times)
        r["memory"] = srv.memory()
        r["load_average"] = round(os.getloadavg()[0], 2)
    finally:
        srv.stop()
    r["from"], r["to"] = loaded, loaded + r["objects_stored"]
    timeline.add(loaded, r.pop("wall_start"), times)
    chk.must(r["objects_failed"] == 0 and r["envelopes_failed"] == 0,
             "load %d -> %d: every object stored (%s)" % (loaded, target, r.get("error")))
    if not r["stopped_by_time"]:
        chk.ok(r["objects_stored"] == n, "load %d -> %d: all posted" % (loaded, target))
    log("  %.0f objects/s, envelope p50 %.0f ms p99 %.0f ms, VmHWM %s MB" %
        (r["objects_per_s"], r["envelope_ms"]["p50"], r["envelope_ms"]["p99"],
         r["memory"].get("vmhwm_mb")))
    result["ingest"].append(dict(r, writers=writers, label=label))
    return r["to"]


def init_hub(args, data):
    if args.database:
        # The hub's database is named in DATA/renkei.conf, which every
        # command (init, serve) reads: an empty PostgreSQL database.
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(data, "renkei.conf"), "w") as f:
            f.write("database = %s\n" % args.database)
    p = subprocess.run([args.renkei, "init", "--data", data, "--demo",
                        os.path.join(REPO, "examples", "demo", "demo.json")],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Failed("renkei init failed: %s" % p.stderr.strip())
    tokens = {}
    with open(os.path.join(data, "demo-credentials.txt")) as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 4:
                tokens[cols[0]] = cols[3]
    for u in (WRITER_USER, ALL_USER, PCT_USER):
        if u not in tokens:
            raise Failed("no token for %s in demo-credentials.txt" % u)
    return tokens


def run(args, chk, data):
    started = time.monotonic()
    deadline = started + args.max_seconds
    rnd = random.Random(args.seed)
    result = {
        "benchmark": "renkei DESIGN.md §7",
        "mode": "short" if args.short else "full",
        "date": rfc3339_us(now_utc()),
        "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
        "machine": machine_info(args),
        "settings": {
            "backend": "postgresql" if args.database else "sqlite",
            "postgresql_settings": ", ".join(
                "%s = %s" % (k, pg_setting(args, k)) for k in
                ("fsync", "synchronous_commit", "shared_buffers")) if args.database else None,
            "server_threads": args.threads,
            "io_threads": args.io_threads,
            "tls": args.tls,
            "wrk_threads": args.wrk_threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "repeat": args.repeat,
            "envelope": args.envelope,
            "object_bytes": 1024,
            "sizes": args.sizes,
            "visible_to_pct_user": "1 % (every 100th indicator carries a scope marking)",
        },
        "budget": BUDGET,
        "ingest": [],
        "sizes": {},
    }
    tokens = init_hub(args, data)
    chk.ok(True, "renkei init --demo")
    timeline = Timeline()
    scope_ref = "marking-definition--" + str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    loaded = 0
    for k, size in enumerate(args.sizes):
        first = k == 0
        if k == 1:
            # 1 writer and 4 writers over the same stretch of store sizes.
            half = loaded + (size - loaded) // 2
            loaded = load_to(args, chk, data, tokens, timeline, loaded, half, 1, scope_ref,
                             False, deadline, result, "%d-1w" % size)
            loaded = load_to(args, chk, data, tokens, timeline, loaded, size, 4, scope_ref,
                             False, deadline, result, "%d-4w" % size)
        else:
            loaded = load_to(args, chk, data, tokens, timeline, loaded, size,
                             1 if first else 4, scope_ref, first, deadline, result,
                             "%d-%dw" % (size, 1 if first else 4))
        log("measure at %d objects" % loaded)
        measure_size(args, chk, data, tokens, timeline, loaded, size, rnd, result)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


# ---- the report ----


def verdict(ok):
    return "meets" if ok else "**misses**"


def ratio_cell(ratio, num, den, fmt):
    """The measured cell of a cost ratio, num's cost over den's (figures of
    measure_size), and the ratio to judge. Cost is 1 / throughput at 64
    connections, and the latency of one request alone (steadier when other
    work shares the machine). When the pages compared hold different numbers
    of objects, the cost of the same number of objects is shown too: per page
    flatters the longer page, per object the shorter (its fixed cost is
    spread over fewer objects), so the worse of the two is judged."""
    a_num, a_den = num["alone"]["p50_ms"], den["alone"]["p50_ms"]
    alone = (fmt % (a_num / a_den)) if a_num and a_den else "n/a"
    n_num, n_den = num.get("objects_per_page"), den.get("objects_per_page")
    if not (n_num and n_den and min(n_num, n_den) < 0.95 * max(n_num, n_den)):
        return "%s (alone: %s)" % (fmt % ratio, alone), ratio
    per_obj = ratio * n_den / n_num
    a_obj = (fmt % (a_num / a_den * n_den / n_num)) if a_num and a_den else "n/a"
    return ("%s (alone: %s) per page; pages hold %.0f and %.0f objects: %s (alone: %s) per "
            "object" % (fmt % ratio, alone, min(n_num, n_den), max(n_num, n_den),
                        fmt % per_obj, a_obj)), max(ratio, per_obj)


def markdown(res):
    b = res["budget"]
    sizes = sorted(res["sizes"], key=int)
    lines = []
    m = res["machine"]
    lines.append("Run of %s, `%s` (%s mode, %.0f s)." % (res["date"][:19] + "Z", res["command"],
                                                          res["mode"], res.get("seconds", 0)))
    lines.append("Machine: %s, %s cores, %s MB, %s, kernel %s; SQLite %s, libmicrohttpd %s, wrk %s; "
                 "renkei %s (commit %s%s). %s." %
                 (m["cpu"], m["cores"], m["memory_mb"], m["os"], m["kernel"], m["sqlite"],
                  m["libmicrohttpd"], m["wrk"], m["renkei"], m["git_commit"],
                  ", uncommitted changes" if m["git_dirty"] else "",
                  m["note"].capitalize()))
    s = res["settings"]
    if s.get("backend") == "postgresql":
        lines.append("Back end: PostgreSQL %s on the same machine (%s); the memory figures are "
                     "renkei's process only, PostgreSQL's own not counted; the database size is "
                     "pg_database_size." %
                     (m.get("postgresql", "?"), s.get("postgresql_settings", "")))
    lines.append("Server: `--threads %d`%s%s; wrk: %d threads, %d connections, %d s per run, "
                 "%d runs per figure (median, with [min–max])." %
                 (s["server_threads"],
                  " `--io-threads %d`" % s["io_threads"] if s.get("io_threads", 1) != 1 else "",
                  ", the GET figures over HTTPS (self-signed P-256 certificate; loading in "
                  "clear)" if s.get("tls") else "",
                  s["wrk_threads"], s["connections"], s["duration_s"], s["repeat"]))
    loads = [x["load_average"][i] for z in res["sizes"].values() for k, x in z.items()
             if isinstance(x, dict) and "load_average" in x for i in (0, 1)]
    if loads:
        lines.append("Load average (1 min) around the GET runs: %.1f–%.1f on %s cores "
                     "(other work on the machine shows here)." % (min(loads), max(loads), m["cores"]))
    lines.append("")
    lines.append("| figure | budget | measured | verdict |")
    lines.append("|---|---|---|---|")
    for r in res["ingest"]:
        lines.append("| ingest, %d writer%s, %s → %s objects | ≥ %s objects/s | %s objects/s "
                     "(envelope p50 %.0f ms, p99 %.0f ms) | %s |" %
                     (r["writers"], "s" if r["writers"] > 1 else "", f"{r['from']:,}",
                      f"{r['to']:,}", f"{b['ingest_per_s']:,}", f"{r['objects_per_s']:,.0f}",
                      r["envelope_ms"]["p50"], r["envelope_ms"]["p99"],
                      verdict(r["objects_per_s"] >= b["ingest_per_s"])))
    names = {
        "page_all": "first page, sees all",
        "page_1pct": "first page, sees 1 %",
        "deep_all": "deep pages, sees all",
        "deep_1pct": "deep pages, sees 1 %",
        "by_id": "one object by id, sees all",
    }
    for size in sizes:
        z = res["sizes"][size]
        for key, label in names.items():
            x = z[key]
            pages_ok = key == "by_id" or x["requests_per_s"] >= b["pages_per_s"]
            p99_ok = x["p99_ms"] is not None and x["p99_ms"] < b["p99_ms"]
            budget = ("≥ %s pages/s, p99 < %d ms" % (f"{b['pages_per_s']:,}", b["p99_ms"])
                      if key != "by_id" else "(none; p99 < %d ms)" % b["p99_ms"])
            extra = ""
            if isinstance(x["errors"], dict) and x["errors"].get("timeout"):
                extra = "; %d timed out (> 10 s)" % x["errors"]["timeout"]
            lines.append("| %s objects: %s | %s | %s/s [%s–%s], p50 %s, p99 %s [%s–%s]; "
                         "alone p50 %s%s | %s |" %
                         (f"{int(size):,}", label, budget, f"{x['requests_per_s']:,.0f}",
                          f"{x['requests_per_s_min']:,.0f}", f"{x['requests_per_s_max']:,.0f}",
                          ms(x["p50_ms"]), ms(x["p99_ms"]), num(x["p99_ms_min"]),
                          num(x["p99_ms_max"]), ms(x["alone"]["p50_ms"]), extra,
                          verdict(pages_ok and p99_ok)))
    if len(sizes) > 1:
        # Cost ratios (ratio_cell): a page at the largest size against the smallest.
        lo, hi = res["sizes"][sizes[0]], res["sizes"][sizes[-1]]
        for key in ("page_all", "page_1pct", "deep_all", "deep_1pct"):
            ratio = lo[key]["requests_per_s"] / max(1e-9, hi[key]["requests_per_s"])
            cell, worst = ratio_cell(ratio, hi[key], lo[key], "%.2f×")
            lines.append("| page cost %s / %s objects, %s | ≤ %.1f× | %s | %s |" %
                         (f"{int(sizes[-1]):,}", f"{int(sizes[0]):,}", names[key],
                          b["size_ratio"], cell, verdict(worst <= b["size_ratio"])))
    for size in sizes:
        z = res["sizes"][size]
        for key in ("page_all", "deep_all"):
            pct = key.replace("_all", "_1pct")
            ratio = z[key]["requests_per_s"] / max(1e-9, z[pct]["requests_per_s"])
            cell, worst = ratio_cell(ratio, z[pct], z[key], "%.1f×")
            lines.append("| %s objects: page cost sees 1 %% / sees all, %s | ≤ %.1f× | %s | %s |"
                         % (f"{int(size):,}", "first page" if key == "page_all" else
                            "deep pages", b["size_ratio"], cell,
                            verdict(worst <= b["size_ratio"])))
    for size in sizes:
        z = res["sizes"][size]
        load = [r for r in res["ingest"] if r["to"] <= int(size) and r["to"] > 0]
        peak_load = max((r["memory"].get("vmhwm_mb", 0) for r in load), default=0)
        hwm = z["memory_serving"].get("vmhwm_mb", 0)
        db = z.get("database_mb")
        lines.append("| %s objects: peak RSS serving (loading) | < %d MB | %.0f MB (%.0f MB); "
                     "%s | %s |" %
                     (f"{int(size):,}", b["rss_mb"], hwm, peak_load,
                      "database %.0f MB" % db if db else "database size not read",
                      verdict(max(hwm, peak_load) < b["rss_mb"])))
    return "\n".join(lines) + "\n"


def parse_args(argv):
    ap = argparse.ArgumentParser(description="renkei's benchmark (DESIGN.md §7)")
    ap.add_argument("--short", action="store_true",
                    help="small sizes, 1-second runs, checks only (make test)")
    ap.add_argument("--renkei", default=os.environ.get("RENKEI_BIN") or
                    os.path.join(REPO, "build", "renkei"))
    ap.add_argument("--post-load", default=None,
                    help="the POST driver (default: bench/post_load beside renkei)")
    ap.add_argument("--sizes", default=None, help="comma-separated store sizes")
    ap.add_argument("--duration", type=int, default=None, help="seconds per wrk run")
    ap.add_argument("--repeat", type=int, default=None, help="wrk runs per figure")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--alone-duration", type=int, default=None,
                    help="seconds of the one-connection run per figure (0: none)")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="renkei serve --threads")
    ap.add_argument("--io-threads", type=int, default=1, help="renkei serve --io-threads")
    ap.add_argument("--tls", action="store_true",
                    help="measure the GET figures over HTTPS (a self-signed certificate "
                         "made by openssl); the loading stays in clear")
    ap.add_argument("--envelope", type=int, default=None)
    ap.add_argument("--deep-pages", type=int, default=64)
    ap.add_argument("--ids", type=int, default=1000)
    ap.add_argument("--max-seconds", type=int, default=None, help="bound on the whole run")
    ap.add_argument("--max-load-seconds", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20241227)
    ap.add_argument("--database", default=os.environ.get("RENKEI_BENCH_DATABASE"),
                    help="an empty PostgreSQL database (postgresql://...) instead of "
                    "SQLite; the server's peak memory then excludes PostgreSQL's")
    ap.add_argument("--out", default=None, help="results directory (default bench/results; "
                    "none in --short)")
    ap.add_argument("--workdir", default=None, help="where the temporary hub goes")
    ap.add_argument("--keep", action="store_true", help="keep the temporary hub")
    ap.add_argument("--report", metavar="RESULTS.json", default=None,
                    help="print the Markdown table of an earlier run and exit")
    a = ap.parse_args(argv)
    if a.short:
        defaults = dict(sizes="1000,3000", duration=1, repeat=1, envelope=500, max_seconds=60,
                        alone_duration=0)
        a.ids = min(a.ids, 50)
        a.deep_pages = min(a.deep_pages, 8)
    else:
        defaults = dict(sizes="10000,100000,1000000", duration=8, repeat=3, envelope=1000,
                        max_seconds=1200, alone_duration=3)
    for k, v in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.sizes = sorted(int(x) for x in str(a.sizes).split(","))
    a.renkei = os.path.abspath(a.renkei)
    if a.post_load is None:
        a.post_load = os.path.join(os.path.dirname(a.renkei), "bench", "post_load")
    a.post_load = os.path.abspath(a.post_load)
    if a.out is None and not a.short:
        a.out = os.path.join(HERE, "results")
    return a


def on_sigterm(signum, frame):
    """SIGTERM (a timeout around us) unwinds like an error: servers stop, files go."""
    raise Failed("terminated")


def main(argv):
    args = parse_args(argv)
    if args.report:
        with open(args.report) as f:
            print(markdown(json.load(f)), end="")
        return 0
    chk = Checks()
    for path, what in ((args.renkei, "renkei"), (args.post_load, "the POST driver")):
        if not os.access(path, os.X_OK):
            print("bench: no %s at %s (make all; make bench builds the driver)" % (what, path),
                  file=sys.stderr)
            return 2
    if not shutil.which("wrk"):
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    data = tempfile.mkdtemp(prefix="renkei-bench.", dir=args.workdir)
    result = None
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        result = run(args, chk, data)
    except Failed as e:
        if str(e) not in chk.failed:
            chk.failed.append(str(e))
        print("bench: %s" % e, file=sys.stderr)
    except KeyboardInterrupt:
        chk.failed.append("interrupted")
    finally:
        if args.keep:
            log("hub kept in %s" % data)
        else:
            shutil.rmtree(data, ignore_errors=True)
    if result is not None:
        text = json.dumps(result, indent=2, default=str)
        chk.ok(bool(json.loads(text)["sizes"]), "the result is valid JSON")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            name = "renkei-bench-%s-%s.json" % (
                result["date"][:19].replace(":", "").replace("-", ""), result["mode"])
            path = os.path.join(args.out, name)
            with open(path, "w") as f:
                f.write(text + "\n")
            log("results in %s" % os.path.relpath(path))
        # The report is built in the short mode too, so that it cannot rot.
        table = markdown(result)
        chk.ok("| page cost " in table and "| ingest, " in table, "the report table is built")
        if not args.short:
            print(table)
    print("[  PASSED  ] %d test(s)." % chk.passed)
    if chk.failed:
        print("[  FAILED  ] %d test(s), listed below:" % len(chk.failed))
        for f in chk.failed:
            print("[  FAILED  ] %s" % f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
