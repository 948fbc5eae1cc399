#!/usr/bin/env python3
"""Tests for bench/flows_report.py: each client's real output of a flow run (bench/fixtures/flow-*, 10,000
iterations against bench/nginx-flows.conf) is read into the same counts, `peers` computes per-CPU-second rates, the
agreement check and the ratios, and `callgrind` computes instructions per request from two counts. No network, no
clients: runs in `make test`.
"""
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no bench/__pycache__ left in the tree
import flows_report  # noqa: E402

FIX = os.path.join(HERE, "fixtures")


class ReaderTests(unittest.TestCase):
    def test_each_tool_counts_ten_thousand_iterations_and_steps(self):
        for tool in ("barrage", "k6", "locust"):
            with self.subTest(tool=tool):
                c = flows_report.READERS[tool](os.path.join(FIX, f"flow-{tool}.json"))
                self.assertEqual(c["iterations"], 10000)
                self.assertEqual(c["requests"], 30000)
                self.assertEqual(c["failed"], 0)
                self.assertEqual({n: s["requests"] for n, s in c["steps"].items()},
                                 {"login": 10000, "item": 10000, "cart": 10000})

    def test_time_line_is_the_last_line(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "x.time"), "w") as f:
                f.write("Command exited with non-zero status 1\n1.50 0.25 0.50 4096\n")
            self.assertEqual(flows_report.read_time(os.path.join(d, "x")), (1.5, 0.25, 0.5, 4096))
            self.assertIsNone(flows_report.read_time(os.path.join(d, "missing")))


class PeersTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def run_peers(self, iterations, extra_rows=()):
        manifest = os.path.join(self.dir, "manifest.tsv")
        with open(manifest, "w") as m:
            for tool in ("barrage", "k6", "locust"):
                prefix = os.path.join(self.dir, f"{tool}-1")
                for ext in ("json", "time"):
                    shutil.copy(os.path.join(FIX, f"flow-{tool}.{ext}"), f"{prefix}.{ext}")
                m.write(f"{tool}\t1\tok\t{prefix}\t\n")
            for row in extra_rows:
                m.write(row)
        out = os.path.join(self.dir, "flows.json")
        sys.argv = ["flows_report.py", "peers", "--manifest", manifest, "--iterations", str(iterations),
                    "--vus", "50", "--out", out]
        text = io.StringIO()
        with redirect_stdout(text), redirect_stderr(io.StringIO()):
            flows_report.main()
        return json.load(open(out)), text.getvalue()

    def test_rates_ratios_and_agreement(self):
        doc, text = self.run_peers(10000)
        runs = {r["tool"]: r for r in doc["runs"]}
        # barrage: 1.33 s wall, 0.45 + 0.27 s CPU
        self.assertAlmostEqual(runs["barrage"]["cpu_s"], 0.72)
        self.assertAlmostEqual(runs["barrage"]["iterations_per_cpu_s"], round(10000 / 0.72, 1))
        self.assertAlmostEqual(runs["barrage"]["iterations_per_s"], round(10000 / 1.33, 1))
        self.assertTrue(all(r["agrees"] for r in doc["runs"]))
        k6_cpu = runs["k6"]["cpu_s"]
        self.assertAlmostEqual(doc["ratios"]["k6"]["per_cpu_s"], round(k6_cpu / 0.72, 2), places=2)
        self.assertEqual(doc["ratios"]["k6"]["target"], 3.0)
        self.assertEqual(doc["ratios"]["locust"]["target"], 5.0)
        self.assertIn("| barrage | 1 | 1.33 |", text)

    def test_another_count_disagrees_and_a_skipped_tool_is_listed(self):
        doc, text = self.run_peers(2000, ["k6\t2\tskipped\t/nonexistent\tk6 not installed\n"])
        self.assertFalse(any(r.get("agrees") for r in doc["runs"] if r["status"] == "ok"))
        self.assertIn("| k6 | 2 | skipped: k6 not installed |", text)
        self.assertIn("NO", text)


class CallgrindTests(unittest.TestCase):
    def test_difference_over_difference_and_ratios(self):
        with tempfile.TemporaryDirectory() as d:
            # KIND ITERATIONS TOTAL ENGINE_THREAD; each run's result JSON is checked for completeness
            rows = [("plain", 2000, 500_000_000, 450_000_000), ("plain", 7000, 1_400_000_000, 1_275_000_000),
                    ("flow", 2000, 700_000_000, 600_000_000), ("flow", 7000, 2_050_000_000, 1_650_000_000)]
            with open(os.path.join(d, "t.tsv"), "w") as f:
                for kind, n, total, engine in rows:
                    f.write(f"{kind} {n} {total} {engine}\n")
                    ok = 3 * n if (kind, n) != ("flow", 2000) else 3 * n - 1
                    with open(os.path.join(d, f"{kind}-{n}.json"), "w") as j:
                        json.dump({"requests": {"total": 3 * n, "ok": ok}}, j)
            sys.argv = ["flows_report.py", "callgrind", "--table", os.path.join(d, "t.tsv"), "--raw", d,
                        "--out", os.path.join(d, "cg.json")]
            with redirect_stderr(io.StringIO()):
                flows_report.main()
            c = json.load(open(os.path.join(d, "cg.json")))
        self.assertEqual(c["plain"]["per_request"], 60000)          # 900M / 15,000 requests
        self.assertEqual(c["plain"]["engine_thread_per_request"], 55000)
        self.assertEqual(c["flow"]["per_request"], 90000)
        self.assertEqual(c["ratio"], 1.5)
        self.assertEqual(c["ratio_engine_thread"], round(70000 / 55000, 3))
        self.assertTrue(c["plain"]["complete"])
        self.assertFalse(c["flow"]["complete"])
        self.assertNotIn("static", c)


if __name__ == "__main__":
    unittest.main()
