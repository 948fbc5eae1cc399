#!/usr/bin/env python3
"""The table of bench/flows.sh: reads each client's own output and /usr/bin/time's line, prints a Markdown table
and the ratios, and writes the JSON (atomically).

Per run: wall time and client CPU (user + sys) from `/usr/bin/time -f '%e %U %S %M'`; iterations and per-step
request counts from the tool itself — Barrage's result JSON (`iterations`, `targets`), k6's summary export
(`iterations`, `http_reqs{name:STEP}`), and the counters bench/flow_locust.py writes (its own iteration counter and
Locust's per-step stats).
"""
import argparse
import json
import os
import statistics
import sys

STEPS = ("login", "item", "cart")


def read_time(prefix):
    """wall, user, sys seconds and max RSS (KB) from the last line /usr/bin/time wrote."""
    try:
        lines = [l for l in open(prefix + ".time").read().splitlines() if l.strip()]
        wall, user, system, rss = lines[-1].split()
        return float(wall), float(user), float(system), int(rss)
    except (OSError, ValueError, IndexError):
        return None


def counts_barrage(path):
    r = json.load(open(path))
    it = r.get("iterations") or {}
    steps = {}
    for name in STEPS:
        t = (r.get("targets") or {}).get(name) or {}
        req = t.get("requests") or {}
        steps[name] = {"requests": req.get("total"), "failed": req.get("failed")}
    return {"iterations": it.get("completed"), "iterations_total": it.get("total"),
            "iterations_failed": it.get("failed"), "requests": r["requests"]["total"],
            "failed": r["requests"]["failed"], "steps": steps}


def counts_k6(path):
    m = json.load(open(path))["metrics"]
    steps = {n: {"requests": (m.get("http_reqs{name:%s}" % n) or {}).get("count"), "failed": None} for n in STEPS}
    failed = (m.get("http_req_failed") or {}).get("passes")
    return {"iterations": m.get("iterations", {}).get("count"), "iterations_total": None, "iterations_failed": None,
            "requests": m.get("http_reqs", {}).get("count"), "failed": failed, "steps": steps}


def counts_locust(path):
    c = json.load(open(path))
    steps = {n: {"requests": (c["steps"].get(n) or {}).get("requests"),
                 "failed": (c["steps"].get(n) or {}).get("failures")} for n in STEPS}
    return {"iterations": c["completed"], "iterations_total": c["started"], "iterations_failed": c["no_token"],
            "requests": sum(s["requests"] or 0 for s in steps.values()),
            "failed": sum(s["failed"] or 0 for s in steps.values()), "steps": steps}


READERS = {"barrage": counts_barrage, "k6": counts_k6, "locust": counts_locust}


def callgrind(a):
    """Instructions per request from the two-count table flows.sh wrote (`KIND ITERATIONS TOTAL ENGINE_THREAD`):
    the difference of the two runs over the difference of their requests (3 per iteration), so start-up and
    shut-down cancel out; the engine thread's share separately (the rest is the controller's per-second work, whose
    share per request grows with the run's length, and under callgrind runs are some 50 times longer)."""
    rows = {}
    for line in open(a.table):
        f = line.split()
        if len(f) == 4:
            rows.setdefault(f[0], {})[int(f[1])] = (int(f[2]), int(f[3]))
    res = {}
    for kind in ("plain", "static", "flow"):
        runs = rows.get(kind, {})
        if len(runs) != 2:
            print(f"callgrind: the {kind} runs are missing or failed", file=sys.stderr)
            continue
        (n1, (t1, e1)), (n2, (t2, e2)) = sorted(runs.items())
        requests = 3 * (n2 - n1)
        checked = []
        for n in (n1, n2):
            r = json.load(open(f"{a.raw}/{kind}-{n}.json"))
            checked.append({"requests": r["requests"]["total"], "ok": r["requests"]["ok"],
                            "iterations": (r.get("iterations") or {}).get("completed")})
        res[kind] = {"iterations": [n1, n2], "instructions": [t1, t2], "engine_thread": [e1, e2],
                     "per_request": round((t2 - t1) / requests),
                     "engine_thread_per_request": round((e2 - e1) / requests) if e1 and e2 else None,
                     "runs": checked,
                     "complete": all(c["ok"] == 3 * n for c, n in zip(checked, (n1, n2)))}
    if "plain" in res and "flow" in res:
        res["ratio"] = round(res["flow"]["per_request"] / res["plain"]["per_request"], 3)
        if res["flow"]["engine_thread_per_request"] and res["plain"]["engine_thread_per_request"]:
            res["ratio_engine_thread"] = round(res["flow"]["engine_thread_per_request"]
                                               / res["plain"]["engine_thread_per_request"], 3)
    if "static" in res and "flow" in res:
        res["ratio_flow_to_static"] = round(res["flow"]["per_request"] / res["static"]["per_request"], 3)
    for kind in ("plain", "static", "flow"):
        if kind in res:
            r = res[kind]
            print(f"callgrind {kind:6}: {r['per_request']:>7,} instructions per request (engine thread "
                  f"{r['engine_thread_per_request'] or 0:,}){'' if r['complete'] else ' — INCOMPLETE RUN'}", file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)


def table(runs, ratios, a):
    """The Markdown table of the side-by-side runs and the ratios, on stdout."""
    print(f"\n{a.iterations} iterations × 3 requests, {a.vus} VUs, client on one core\n")
    print("| tool | round | wall s | iterations/s | client CPU s (user+sys) | iterations per CPU-s | nginx CPU s "
          "| max RSS MB | iterations | login / item / cart | failed | agrees |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        if r["status"] != "ok":
            print(f"| {r['tool']} | {r['round']} | {r['status']}: {r['note']} ||||||||||")
            continue
        steps = " / ".join(str(r["steps"][n]["requests"]) for n in STEPS)
        print(f"| {r['tool']} | {r['round']} | {r['wall_s']:.2f} | {r.get('iterations_per_s')} | {r['cpu_s']:.2f} "
              f"| {r.get('iterations_per_cpu_s')} | {r.get('server_cpu_s')} | {r['max_rss_kb'] / 1024:.0f} | {r.get('iterations')} | {steps} "
              f"| {r.get('failed')} | {'yes' if r['agrees'] else 'NO'} |")
    print()
    for peer, q in ratios.items():
        print(f"Barrage / {peer}: {q['per_cpu_s']}× iterations per client CPU-second (target ≥ {q['target']}×: "
              f"{'met' if q['met'] else 'missed'}), {q['per_wall_s']}× iterations per wall second")


def peers(a):
    runs = []
    for line in open(a.manifest):
        tool, rnd, status, prefix, note = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
        run = {"tool": tool, "round": int(rnd), "status": status, "note": note}
        t = read_time(prefix)
        if status == "ok" and t:
            try:
                run.update(READERS[tool](prefix + ".json"))
            except (OSError, ValueError, KeyError) as e:
                run.update(status="failed", note=f"unreadable output: {e}")
            wall, user, system, rss = t
            cpu = user + system
            run.update(wall_s=wall, user_s=user, sys_s=system, cpu_s=round(cpu, 2), max_rss_kb=rss)
            try:
                run["server_cpu_s"] = float(open(prefix + ".server").read())
            except (OSError, ValueError):
                run["server_cpu_s"] = None
            if run["status"] == "ok" and run.get("iterations"):
                run["iterations_per_s"] = round(run["iterations"] / wall, 1) if wall > 0 else None
                run["iterations_per_cpu_s"] = round(run["iterations"] / cpu, 1) if cpu > 0 else None
            # The same fixed count everywhere: anything else is a disagreement worth a line.
            want = {"iterations": a.iterations, **{n: a.iterations for n in STEPS}}
            got = {"iterations": run.get("iterations"), **{n: run["steps"][n]["requests"] for n in STEPS}} \
                if run["status"] == "ok" else {}
            run["agrees"] = got == want
        runs.append(run)

    def median(tool, key):
        vals = [r[key] for r in runs if r["tool"] == tool and r["status"] == "ok" and r.get(key) is not None]
        return statistics.median(vals) if vals else None

    summary = {t: {k: median(t, k) for k in ("wall_s", "cpu_s", "iterations_per_s", "iterations_per_cpu_s")}
               for t in READERS}
    ratios = {}
    b = summary["barrage"]["iterations_per_cpu_s"]
    for peer, target in (("k6", 3.0), ("locust", 5.0)):
        p = summary[peer]["iterations_per_cpu_s"]
        if b and p:
            ratios[peer] = {"per_cpu_s": round(b / p, 2), "target": target, "met": b / p >= target,
                            "per_wall_s": round(summary["barrage"]["iterations_per_s"] / summary[peer]["iterations_per_s"], 2)}

    if runs:
        table(runs, ratios, a)
    doc = {"iterations": a.iterations, "vus": a.vus, "barrage": a.barrage, "runs": runs, "median": summary,
           "ratios": ratios, "loadavg_end": open("/proc/loadavg").read().split()[:3]}
    if a.callgrind:
        doc["callgrind"] = json.load(open(a.callgrind))
        c = doc["callgrind"]
        if "ratio" in c:
            print(f"callgrind: single-target {c['plain']['per_request']:,} instructions per request, flow "
                  f"{c['flow']['per_request']:,}: {c['ratio']}× (bound 1.3×: {'met' if c['ratio'] <= 1.3 else 'missed'}); "
                  f"engine thread alone {c.get('ratio_engine_thread')}×")
        if "static" in c:
            print(f"callgrind: the three requests as static targets {c['static']['per_request']:,} per request; "
                  f"the flow is {c.get('ratio_flow_to_static')}× that")
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, a.out)
    print(f"written {a.out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("callgrind")
    c.add_argument("--table", required=True)
    c.add_argument("--raw", required=True)
    c.add_argument("--out", required=True)
    p = sub.add_parser("peers")
    p.add_argument("--manifest", required=True)
    p.add_argument("--iterations", type=int, required=True)
    p.add_argument("--vus", type=int, required=True)
    p.add_argument("--callgrind")
    p.add_argument("--barrage")
    p.add_argument("--out", required=True)
    a = ap.parse_args()
    (callgrind if a.command == "callgrind" else peers)(a)


if __name__ == "__main__":
    main()
