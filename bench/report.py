#!/usr/bin/env python3
"""Parses each load generator's output for `make bench` and aggregates the runs.

  report.py line TOOL PREFIX CONNS ROUND STATUS     one progress line for one run
  report.py summarize --manifest M --facts F --out OUT.json

A run leaves PREFIX.out (stdout), PREFIX.err, PREFIX.time (`/usr/bin/time -f '%U %S %M'`: user and system
seconds, max RSS KB) and, for barrage and k6, PREFIX.json. The manifest has one line per run:
tool, connections, round, status (ok | failed | skipped), prefix, note, 1-minute load average before the run.
A tool named TOOL@alt is TOOL run with a second libcurl (`BENCH_LIBCURL`); its runs are parsed as TOOL's and
compared with TOOL's, round by round, in the "libcurl" section.
"""
import json
import os
import re
import statistics
import sys

PEERS = ["barrage", "curl-poll", "curl-epoll", "wrk", "h2load", "ab", "hey", "k6"]
LABELS = {"curl-poll": "C ceiling (poll)", "curl-epoll": "C ceiling (epoll)"}
ALT = "@alt"


def base_tool(tool):
    """The client a run name stands for: barrage@alt is barrage with the second libcurl."""
    return tool[: -len(ALT)] if tool.endswith(ALT) else tool


def label(tool, facts=None):
    if tool.endswith(ALT):
        version = ((facts or {}).get("libcurl_alt") or {}).get("version") or "alt"
        return f"{LABELS.get(base_tool(tool), base_tool(tool))} @{version}"
    return LABELS.get(tool, tool)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def duration_us(value, unit):
    v = float(value)
    return v * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}.get(unit, 1)


def parse_time(prefix):
    """(cpu seconds, peak RSS KB) from /usr/bin/time; the last line holds the numbers."""
    lines = [l for l in read(prefix + ".time").splitlines() if l.strip()]
    if not lines:
        return None, None
    parts = lines[-1].split()
    try:
        return float(parts[0]) + float(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return None, None


def parse_tool(tool, prefix):
    """What one run measured: requests (completed), rps, errors, seconds; p50_us when the tool reports it."""
    out = read(prefix + ".out")
    r = {}
    tool = base_tool(tool)
    if tool == "barrage":
        j = load_json(prefix + ".json")
        if j:
            req = j.get("requests", {})
            r["requests"] = req.get("total", 0) - req.get("dropped", 0)
            r["dropped"] = req.get("dropped", 0)
            r["errors"] = req.get("failed", 0)
            r["seconds"] = j.get("duration_us", 0) / 1e6
            r["rps"] = j.get("throughput", {}).get("rps")
            r["p50_us"] = j.get("latency_us", {}).get("p50")
            r["p99_us"] = j.get("latency_us", {}).get("p99")
            r["send_lateness_p99_us"] = j.get("send_lateness_us", {}).get("p99")
            r["expected_requests"] = j.get("plan", {}).get("expected_requests")
            if r["seconds"]:
                r["achieved_rate"] = req.get("total", 0) / r["seconds"]
            phase = j.get("connect_phase")
            if phase:
                # The connect phase's requests are real requests the process paid CPU for: count them for
                # CPU per request, and report how long opening the connections took.
                r["connect_phase_requests"] = phase.get("requests", {}).get("total", 0)
                r["connect_phase_s"] = phase.get("duration_us", 0) / 1e6
    elif tool.startswith("curl-"):
        m = dict(re.findall(r"(\w+)=(\S+)", out))
        if "requests" in m:
            r = {"requests": int(m["requests"]), "seconds": float(m["seconds"]), "rps": float(m["rps"]),
                 "errors": int(m["errors"]), "shards": int(m["shards"])}
            if "libcurl" in m:
                r["libcurl"] = m["libcurl"]
    elif tool == "wrk":
        m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
        if m:
            r["requests"] = int(m.group(1))
            r["seconds"] = duration_us(m.group(2), m.group(3)) / 1e6
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if m:
            r["rps"] = float(m.group(1))
        errors = 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if m:
            errors += sum(int(x) for x in m.groups())
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if m:
            errors += int(m.group(1))
        r["errors"] = errors
        m = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            r["p50_us"] = duration_us(m.group(1), m.group(2))
        m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            r["p99_us"] = duration_us(m.group(1), m.group(2))
    elif tool == "h2load":
        m = re.search(r"finished in ([\d.]+)(ms|s), ([\d.]+) req/s", out)
        if m:
            r["seconds"] = duration_us(m.group(1), m.group(2)) / 1e6
            r["rps"] = float(m.group(3))
        m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                      r"(\d+) errored, (\d+) timeout", out)
        if m:
            r["requests"] = int(m.group(3))
            r["errors"] = int(m.group(5))
    elif tool == "ab":
        m = re.search(r"Complete requests:\s+(\d+)", out)
        if m:
            r["requests"] = int(m.group(1))
        m = re.search(r"Time taken for tests:\s+([\d.]+)", out)
        if m:
            r["seconds"] = float(m.group(1))
        m = re.search(r"Requests per second:\s+([\d.]+)", out)
        if m:
            r["rps"] = float(m.group(1))
        errors = 0
        m = re.search(r"Failed requests:\s+(\d+)", out)
        if m:
            errors += int(m.group(1))
        m = re.search(r"Non-2xx responses:\s+(\d+)", out)
        if m:
            errors += int(m.group(1))
        r["errors"] = errors
    elif tool == "hey":
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if m:
            r["rps"] = float(m.group(1))
        m = re.search(r"Total:\s+([\d.]+) secs", out)
        if m:
            r["seconds"] = float(m.group(1))
        codes = {int(c): int(n) for c, n in re.findall(r"^\s+\[(\d{3})\]\s+(\d+) responses", out, re.M)}
        errors = sum(n for c, n in codes.items() if c >= 400)
        if "Error distribution:" in out:
            tail = out.split("Error distribution:", 1)[1]
            errors += sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s", tail, re.M))
        if codes or errors:
            r["requests"] = sum(codes.values()) + (errors - sum(n for c, n in codes.items() if c >= 400))
        r["errors"] = errors
    elif tool == "k6":
        j = load_json(prefix + ".json")
        if j:
            metrics = j.get("metrics", {})
            reqs = metrics.get("http_reqs", {})
            r["requests"] = int(reqs.get("count", 0))
            r["rps"] = reqs.get("rate")
            failed = metrics.get("http_req_failed", {})
            r["errors"] = int(failed.get("passes", 0))
            if r["rps"]:
                r["seconds"] = r["requests"] / r["rps"]
            dur = metrics.get("http_req_duration", {})
            if "med" in dur:
                r["p50_us"] = dur["med"] * 1000
    if r.get("rps") is None and r.get("requests") and r.get("seconds"):
        r["rps"] = r["requests"] / r["seconds"]
    cpu, rss = parse_time(prefix)
    if cpu is not None:
        r["cpu_s"] = cpu
        r["peak_rss_kb"] = rss
        if r.get("requests"):
            r["cpu_us_per_req"] = cpu * 1e6 / (r["requests"] + r.get("connect_phase_requests", 0))
    return r


def fmt_int(v):
    return "—" if v is None else f"{v:,.0f}"


def fmt(v, digits=1):
    return "—" if v is None else f"{v:.{digits}f}"


def line(tool, prefix, conns, rnd, status):
    r = parse_tool(tool, prefix)
    if status != "ok" and not r.get("rps"):
        err = read(prefix + ".err").strip().splitlines()
        return f"{tool:<10} c={conns:<6} round {rnd}: {status} {err[-1] if err else ''}"
    extra = ""
    if "achieved_rate" in r and r.get("send_lateness_p99_us") is not None and r.get("dropped") is not None:
        extra = f" achieved {fmt_int(r['achieved_rate'])}/s lateness p99 {r['send_lateness_p99_us']} µs dropped {r['dropped']}"
    if r.get("p50_us") is not None:
        extra += f" p50 {r['p50_us'] / 1000:.2f} ms"
    return (f"{tool:<10} c={conns:<6} round {rnd}: {fmt_int(r.get('rps'))} req/s, "
            f"{fmt(r.get('cpu_us_per_req'))} µs CPU/req, {fmt((r.get('peak_rss_kb') or 0) / 1024)} MB, "
            f"errors {r.get('errors', '—')}{extra}")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(manifest, facts_path, out_path):
    rows = []
    for raw in read(manifest).splitlines():
        parts = raw.split("\t")
        if len(parts) < 5:
            continue
        tool, conns, rnd, status, prefix = parts[:5]
        note = parts[5] if len(parts) > 5 else ""
        load = float(parts[6]) if len(parts) > 6 and parts[6] else None
        rows.append({"tool": tool, "connections": int(conns), "round": int(rnd), "status": status,
                     "prefix": prefix, "note": note, "load1": load})
    facts = load_json(facts_path) or {}

    # closed model: tool -> conns -> runs
    closed = {}
    for row in rows:
        if row["tool"].startswith(("lat-", "open-")):
            continue
        entry = closed.setdefault(row["tool"], {}).setdefault(row["connections"], {"runs": [], "skipped": None})
        if row["status"] == "skipped":
            entry["skipped"] = row["note"]
            continue
        run = parse_tool(row["tool"], row["prefix"])
        run.update(round=row["round"], status=row["status"], load1_before=row["load1"])
        if row["note"]:
            run["note"] = row["note"]
        entry["runs"].append(run)

    counts = sorted({c for t in closed.values() for c in t})
    for tool, by in closed.items():
        for c, e in by.items():
            runs = [r for r in e["runs"] if r.get("rps")]
            e["median"] = {
                "rps": median([r["rps"] for r in runs]),
                "cpu_us_per_req": median([r.get("cpu_us_per_req") for r in runs]),
                "peak_rss_kb": max([r.get("peak_rss_kb") or 0 for r in runs], default=None) or None,
                "errors": sum(r.get("errors") or 0 for r in runs),
                "requests": sum(r.get("requests") or 0 for r in runs),
                "rounds": len(runs),
                "connect_phase_s": median([r.get("connect_phase_s") for r in runs]),
            }

    def med(tool, c, key="rps"):
        return closed.get(tool, {}).get(c, {}).get("median", {}).get(key)

    def per_round(tool, c):
        """round -> rps of the tool at c connections."""
        return {r["round"]: r["rps"] for r in closed.get(tool, {}).get(c, {}).get("runs", []) if r.get("rps")}

    def round_ratios(tool, c, ref):
        """The tool's rate over the reference's, per round (the runs of a round are minutes apart, the rounds
        may not be: a noisy neighbour moves whole rounds), as a list."""
        mine = per_round(tool, c)
        if ref == "ceiling":
            # an @alt run against the ceiling on the same libcurl
            lib = ALT if tool.endswith(ALT) else ""
            poll, epoll = per_round("curl-poll" + lib, c), per_round("curl-epoll" + lib, c)
            base = {r: max(poll.get(r, 0), epoll.get(r, 0)) for r in set(poll) | set(epoll)}
        else:
            base = per_round(ref, c)
        return [mine[r] / base[r] for r in sorted(mine) if base.get(r)]

    # the C ceiling at each count: the better mode
    ceiling = {}
    for c in counts:
        best = None
        for mode in ("curl-poll", "curl-epoll"):
            rps = med(mode, c)
            if rps and (best is None or rps > best[1]):
                best = (mode, rps, med(mode, c, "cpu_us_per_req"), med(mode, c, "peak_rss_kb"))
        if best:
            ceiling[c] = {"mode": best[0].split("-")[1], "rps": best[1], "cpu_us_per_req": best[2],
                          "peak_rss_kb": best[3]}

    # ------------------------------------------------------------ the table
    print()
    print(f"Closed model against nginx (1 worker), median of {facts.get('rounds', '?')} round(s) × "
          f"{facts.get('seconds', '?')} s; {facts.get('nproc', '?')} CPUs, {facts.get('libcurl', '')}")
    w = 26 if any(t.endswith(ALT) for t in closed) else 18  # room for "C ceiling (epoll) @8.14.1"
    head = f"{'tool':<{w}} {'conns':>6} {'req/s':>9} {'×wrk':>6} {'×ceiling':>8} {'CPU µs/req':>10} {'peak MB':>8} {'errors':>7}"
    print(head)
    print("-" * len(head))
    table = []
    ordered = [t for p in PEERS for t in (p, p + ALT)] + sorted(
        t for t in closed if t not in PEERS and base_tool(t) not in PEERS)
    for c in counts:
        for tool in ordered:
            e = closed.get(tool, {}).get(c)
            if not e:
                continue
            name = label(tool, facts)
            if e["skipped"] is not None and not e["runs"]:
                print(f"{name:<{w}} {c:>6,} skipped: {e['skipped']}")
                table.append({"tool": tool, "connections": c, "skipped": e["skipped"]})
                continue
            m = e["median"]
            if not m["rps"]:
                notes = "; ".join(dict.fromkeys(  # each different reason once
                    r.get("note") or ("no request completed within the duration" if r.get("status") == "ok"
                                      else r.get("status", "")) for r in e["runs"]))
                print(f"{name:<{w}} {c:>6,} failed: {notes[:90]}")
                table.append({"tool": tool, "connections": c, "failed": notes})
                continue
            x_wrk = median(round_ratios(tool, c, "wrk"))
            x_ceil = median(round_ratios(tool, c, "ceiling"))
            mb = m["peak_rss_kb"] / 1024 if m["peak_rss_kb"] else None
            print(f"{name:<{w}} {c:>6,} {fmt_int(m['rps']):>9} {fmt(x_wrk, 2):>6} {fmt(x_ceil, 2):>8} "
                  f"{fmt(m['cpu_us_per_req']):>10} {fmt(mb):>8} {m['errors']:>7,}")
            table.append({"tool": tool, "connections": c, "rps": m["rps"], "x_wrk": x_wrk, "x_ceiling": x_ceil,
                          "cpu_us_per_req": m["cpu_us_per_req"], "peak_rss_mb": mb, "errors": m["errors"],
                          "rounds": m["rounds"]})
        print()
    print("×wrk, ×ceiling: the median over rounds of the per-round ratio (the C ceiling of a round is its faster mode);"
          " req/s, CPU: medians; peak MB: the largest")
    for c, ce in sorted(ceiling.items()):
        print(f"C ceiling at {c:,}: {ce['mode']} mode, {fmt_int(ce['rps'])} req/s, {fmt(ce['cpu_us_per_req'])} µs CPU/req")
    phases = [(c, med("barrage", c, "connect_phase_s")) for c in counts]
    phases = [(c, p) for c, p in phases if p is not None]
    if phases:
        print("Barrage's connect phase (--preconnect, kept out of its measured window; the other clients count connection set-up): "
              + ", ".join(f"{p:.2f} s at {c:,}" for c, p in phases))

    # growth from the smallest to the largest count: CPU per request, memory per connection
    growth = {}
    if len(counts) >= 2:
        lo, hi = counts[0], counts[-1]
        print(f"\nCost growth from {lo:,} to {hi:,} connections:")
        for tool in PEERS:
            a, b = closed.get(tool, {}).get(lo, {}).get("median"), closed.get(tool, {}).get(hi, {}).get("median")
            if not a or not b or not a.get("rps") or not b.get("rps"):
                continue
            g = {}
            if a.get("cpu_us_per_req") and b.get("cpu_us_per_req"):
                g["cpu_us_per_req"] = [a["cpu_us_per_req"], b["cpu_us_per_req"]]
            if a.get("peak_rss_kb") and b.get("peak_rss_kb"):
                g["kb_per_connection"] = (b["peak_rss_kb"] - a["peak_rss_kb"]) / (hi - lo)
            growth[tool] = g
            cpu = g.get("cpu_us_per_req")
            print(f"  {LABELS.get(tool, tool):<18} CPU/req {fmt(cpu[0]) if cpu else '—'} → {fmt(cpu[1]) if cpu else '—'} µs"
                  f"   memory ≈ {fmt(g.get('kb_per_connection'))} KB per extra connection")

    # ------------------------------------------------------------ latency accuracy and open model
    latency = {}
    for name, tool in (("barrage", "barrage"), ("wrk", "wrk")):
        runs = []
        for row in rows:
            if row["tool"] == f"lat-{name}" and row["status"] == "ok":
                r = parse_tool(tool, row["prefix"])
                r["round"] = row["round"]
                runs.append(r)
        if runs:
            p50 = median([r.get("p50_us") for r in runs])
            latency[name] = {"runs": runs, "p50_us": p50,
                             "overhead_us": p50 - 20000 if p50 is not None else None,
                             "rps": median([r.get("rps") for r in runs])}
    if latency:
        print("\nLatency accuracy: /delay/20 on `barrage serve` at 100 connections (p50 − 20 ms = what the client adds)")
        for name, l in latency.items():
            print(f"  {name:<8} p50 {fmt(l['p50_us'] / 1000 if l['p50_us'] is not None else None, 3)} ms   "
                  f"overhead {fmt(l['overhead_us'] / 1000 if l['overhead_us'] is not None else None, 3)} ms   "
                  f"{fmt_int(l['rps'])} req/s")

    open_runs = []
    for row in rows:
        if row["tool"] == "open-barrage":
            r = parse_tool("barrage", row["prefix"])
            r.update(round=row["round"], status=row["status"])
            open_runs.append(r)
    open_model = None
    if open_runs:
        open_model = {"target_rate": 20000, "runs": open_runs,
                      "achieved_rate": median([r.get("achieved_rate") for r in open_runs]),
                      "send_lateness_p99_us": median([r.get("send_lateness_p99_us") for r in open_runs]),
                      "dropped": sum(r.get("dropped") or 0 for r in open_runs),
                      "cpu_us_per_req": median([r.get("cpu_us_per_req") for r in open_runs])}
        open_model["closed_rps_at_1000"] = med("barrage", 1000)
        print(f"\nOpen model: --rate 20000 --max-in-flight 1000 --preconnect against nginx: achieved "
              f"{fmt_int(open_model['achieved_rate'])} req/s, send lateness p99 "
              f"{fmt_int(open_model['send_lateness_p99_us'])} µs, dropped {open_model['dropped']}, "
              f"{fmt(open_model['cpu_us_per_req'])} µs CPU/req (barrage's closed model at 1,000 connections: "
              f"{fmt_int(open_model['closed_rps_at_1000'])} req/s)")

    # ------------------------------------------------------------ the two libcurls side by side
    libcurl_compare = compare_libcurls(closed, counts, facts, per_round)

    # ------------------------------------------------------------ the targets
    targets = []

    def target(name, value, ok, detail):
        targets.append({"target": name, "value": value, "met": ok, "detail": detail})

    b50, c50 = med("barrage", 50), ceiling.get(50)
    if b50 and c50:
        x = median(round_ratios("barrage", 50, "ceiling"))
        target("barrage >= 0.95x C ceiling req/s at 50", x, x >= 0.95, f"{x:.2f}× (median of per-round ratios)")
        # per round: barrage's CPU/request over that of the ceiling mode that was faster in that round
        cpu_ratios = []
        runs = lambda t: {r["round"]: r for r in closed.get(t, {}).get(50, {}).get("runs", []) if r.get("rps")}
        b_runs, p_runs, e_runs = runs("barrage"), runs("curl-poll"), runs("curl-epoll")
        for rnd, b in sorted(b_runs.items()):
            best = max((x for x in (p_runs.get(rnd), e_runs.get(rnd)) if x), key=lambda x: x["rps"], default=None)
            if best and best.get("cpu_us_per_req") and b.get("cpu_us_per_req"):
                cpu_ratios.append(b["cpu_us_per_req"] / best["cpu_us_per_req"])
        x = median(cpu_ratios)
        if x:
            bc, cc = med("barrage", 50, "cpu_us_per_req"), c50.get("cpu_us_per_req")
            target("barrage <= 1.1x C ceiling CPU/req at 50", x, x <= 1.1,
                   f"{x:.2f}× (median of per-round ratios; medians {bc:.1f} vs {cc:.1f} µs)")
    b1k, c1k = med("barrage", 1000), ceiling.get(1000)
    if b1k and c1k:
        x = median(round_ratios("barrage", 1000, "ceiling"))
        target("barrage >= C ceiling at 1,000", x, x >= 1.0, f"{x:.2f}× (median of per-round ratios)")
    b10k = med("barrage", 10000)
    if b10k:
        target("barrage >= 30k req/s at 10,000", b10k, b10k >= 30000, f"{b10k:,.0f} req/s")
        rss = med("barrage", 10000, "peak_rss_kb")
        if rss:
            target("barrage peak RSS <= 200 MB at 10,000", rss / 1024, rss / 1024 <= 200, f"{rss / 1024:.0f} MB")
    for peer in ("hey", "k6"):
        for c in counts:
            ratios = round_ratios("barrage", c, peer)
            if ratios:
                won = sum(1 for x in ratios if x > 1)
                x = median(ratios)
                target(f"barrage ahead of {peer} at {c:,}", x, won == len(ratios),
                       f"{x:.2f}×, ahead in {won} of {len(ratios)} rounds")
    if open_model and open_model["achieved_rate"]:
        a = open_model["achieved_rate"]
        target("open model within 1% of 20,000 req/s", a, abs(a - 20000) <= 200, f"{a:,.0f} req/s")
        lat = open_model["send_lateness_p99_us"]
        if lat is not None:
            target("open model send lateness p99 <= 1 ms", lat, lat <= 1000, f"{lat:,.0f} µs")
    if targets:
        print("\nTargets:")
        for t in targets:
            print(f"  [{'met' if t['met'] else 'MISSED':>6}] {t['target']}: {t['detail']}")

    result = {
        "schema": "barrage.bench.v1",
        "machine": facts,
        "closed": {tool: {str(c): e for c, e in sorted(by.items())} for tool, by in closed.items()},
        "ceiling": {str(c): v for c, v in ceiling.items()},
        "table": table,
        "growth": growth,
        "latency_accuracy": latency,
        "open_model": open_model,
        "targets": targets,
    }
    if libcurl_compare:
        result["libcurl_compare"] = libcurl_compare
    for by in result["closed"].values():
        for e in by.values():
            for r in e["runs"]:
                r.pop("prefix", None)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(tmp, out_path)
    print(f"\nwrote {out_path}")


def compare_libcurls(closed, counts, facts, per_round):
    """TOOL against TOOL@alt at each count: medians of both, and the median over rounds of alt ÷ system (the two runs
    of a round are back to back, so a neighbour's load weighs on both alike). Prints the table; returns its rows."""
    pairs = [t for t in PEERS if t + ALT in closed]
    if not pairs:
        return []
    system = facts.get("libcurl_loaded") or "system"
    alt = (facts.get("libcurl_alt") or {}).get("version") or "alt"

    def runs_by_round(tool, c):
        return {r["round"]: r for r in closed.get(tool, {}).get(c, {}).get("runs", []) if r.get("rps")}

    rows = []
    print(f"\nlibcurl {system} (system) against {alt} (LD_LIBRARY_PATH={(facts.get('libcurl_alt') or {}).get('path', '?')}),"
          " each pair of runs back to back")
    head = (f"{'client':<18} {'conns':>6} {'req/s ' + system:>14} {'req/s ' + alt:>14} {'×':>6} "
            f"{'CPU µs ' + system:>15} {'CPU µs ' + alt:>15} {'×':>6} {'rounds':>6}")
    print(head)
    print("-" * len(head))
    for c in counts:
        for tool in pairs:
            a, b = runs_by_round(tool, c), runs_by_round(tool + ALT, c)
            both = sorted(set(a) & set(b))
            if not both:
                continue
            rps_x = median([b[r]["rps"] / a[r]["rps"] for r in both])
            cpu_x = median([b[r]["cpu_us_per_req"] / a[r]["cpu_us_per_req"] for r in both
                            if a[r].get("cpu_us_per_req") and b[r].get("cpu_us_per_req")])
            row = {"tool": tool, "connections": c, "rounds": len(both),
                   "rps": [median([a[r]["rps"] for r in both]), median([b[r]["rps"] for r in both])],
                   "cpu_us_per_req": [median([a[r].get("cpu_us_per_req") for r in both]),
                                      median([b[r].get("cpu_us_per_req") for r in both])],
                   "rps_ratio": rps_x, "cpu_ratio": cpu_x,
                   "rps_ratios": [b[r]["rps"] / a[r]["rps"] for r in both],
                   "errors": [sum(a[r].get("errors") or 0 for r in both), sum(b[r].get("errors") or 0 for r in both)]}
            loaded = {x.get("libcurl") for x in b.values() if x.get("libcurl")}
            if loaded:
                row["alt_loaded"] = sorted(loaded)
            rows.append(row)
            print(f"{LABELS.get(tool, tool):<18} {c:>6,} {fmt_int(row['rps'][0]):>14} {fmt_int(row['rps'][1]):>14} "
                  f"{fmt(rps_x, 2):>6} {fmt(row['cpu_us_per_req'][0]):>15} {fmt(row['cpu_us_per_req'][1]):>15} "
                  f"{fmt(cpu_x, 2):>6} {len(both):>6}")
    print(f"×: the median over rounds of {alt} ÷ {system} for the round's two runs; req/s and CPU: medians")
    return rows


def main(argv):
    if len(argv) >= 6 and argv[0] == "line":
        print(line(*argv[1:6]))
    elif argv and argv[0] == "summarize":
        args = dict(zip(argv[1::2], argv[2::2]))
        summarize(args["--manifest"], args["--facts"], args["--out"])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
