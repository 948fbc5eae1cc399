#!/usr/bin/env python3
"""Tests for bench/report.py: each client's real output (bench/fixtures/, 1 s runs against the bench's nginx,
some against a missing path for errors) is parsed into the right numbers, and `summarize` computes per-round ratios,
the ceiling's better mode, the targets and the JSON. No network, no clients: runs in `make test`.
"""
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

FIX = os.path.join(HERE, "fixtures")


def fixture(name):
    return os.path.join(FIX, name)


class ParseToolTests(unittest.TestCase):
    # tool, fixture, what its output says (requests completed, rate, errors, and more where the tool reports it)
    CASES = [
        ("wrk", "wrk", {"requests": 60878, "seconds": 1.10, "rps": 55330.11, "errors": 0, "p50_us": 138.0,
                        "p99_us": 304.0, "cpu_s": 0.11 + 0.96, "peak_rss_kb": 4708}),
        ("wrk", "wrk-404", {"requests": 63201, "errors": 63201}),  # non-2xx responses are errors
        ("h2load", "h2load", {"requests": 50719, "rps": 50719.0, "seconds": 1.0, "errors": 0}),
        ("ab", "ab", {"requests": 51968, "rps": 51967.17, "errors": 0}),
        ("ab", "ab-404", {"requests": 31110, "errors": 31110}),
        ("hey", "hey", {"requests": 17415, "rps": 17384.5001, "seconds": 1.0018, "errors": 0}),
        # the response-time histogram's "[count]" lines are not status lines
        ("hey", "hey-404", {"requests": 17124, "errors": 17124}),
        ("k6", "k6", {"requests": 10725, "rps": 10716.24317902129, "errors": 0, "p50_us": 310.563}),
        ("curl-poll", "curl-poll", {"requests": 26364, "rps": 26364.0, "shards": 1, "errors": 0}),
    ]

    def test_each_client_output(self):
        for tool, name, expected in self.CASES:
            r = report.parse_tool(tool, fixture(name))
            for key, value in expected.items():
                with self.subTest(fixture=name, key=key):
                    self.assertAlmostEqual(r.get(key), value)
            with self.subTest(fixture=name, key="cpu_us_per_req"):
                self.assertAlmostEqual(r["cpu_us_per_req"], r["cpu_s"] * 1e6 / r["requests"])

    def test_barrage_closed_counts_its_connect_phase_for_cpu(self):
        r = report.parse_tool("barrage", fixture("barrage"))
        self.assertEqual(r["requests"], 30118)
        self.assertEqual(r["errors"], 0)
        self.assertEqual(r["dropped"], 0)
        self.assertAlmostEqual(r["rps"], 30105.656680760887)
        self.assertEqual(r["p50_us"], 321)
        self.assertEqual(r["connect_phase_requests"], 10)
        # CPU per request: the process paid for the connect phase's requests too.
        self.assertAlmostEqual(r["cpu_us_per_req"], r["cpu_s"] * 1e6 / (30118 + 10))

    def test_barrage_open_model(self):
        r = report.parse_tool("barrage", fixture("barrage-open"))
        self.assertEqual(r["requests"], 2000)
        self.assertAlmostEqual(r["achieved_rate"], 2000 / 0.999626)
        self.assertEqual(r["send_lateness_p99_us"], 793)
        self.assertEqual(r["connect_phase_requests"], 1000)

    def test_missing_output_parses_to_nothing(self):
        r = report.parse_tool("wrk", fixture("does-not-exist"))
        self.assertNotIn("rps", r)
        self.assertNotIn("cpu_s", r)


class SummarizeTests(unittest.TestCase):
    """Two rounds at 50 connections. The same fixture stands for a client in both rounds except where a round must
    differ; per-round ratios are then checked by hand."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bench-report-test-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def prefix(self, name, source):
        """Copies fixture `source`'s files to a run prefix of its own."""
        p = os.path.join(self.dir, name)
        for ext in (".out", ".time", ".json"):
            if os.path.exists(fixture(source) + ext):
                shutil.copy(fixture(source) + ext, p + ext)
        return p

    def ceiling_run(self, name, requests, user, system):
        """A ceiling run with the given count over 1 s and CPU seconds."""
        p = os.path.join(self.dir, name)
        with open(p + ".out", "w") as f:
            f.write(f"mode=poll connections=50 shards=1 requests={requests} seconds=1.000 rps={requests}.0 errors=0\n")
        with open(p + ".time", "w") as f:
            f.write(f"{user} {system} 10000\n")
        return p

    def test_ratios_targets_and_json(self):
        rows = [
            ("barrage", 50, 1, "ok", self.prefix("b1", "barrage")),
            ("curl-poll", 50, 1, "ok", self.ceiling_run("p1", 20000, 0.5, 0.3)),
            ("curl-epoll", 50, 1, "ok", self.ceiling_run("e1", 25000, 0.5, 0.3)),
            ("wrk", 50, 1, "ok", self.prefix("w1", "wrk")),
            ("hey", 50, 1, "ok", self.prefix("h1", "hey")),
            ("barrage", 50, 2, "ok", self.prefix("b2", "barrage")),
            ("curl-poll", 50, 2, "ok", self.ceiling_run("p2", 40000, 0.5, 0.3)),
            ("curl-epoll", 50, 2, "ok", self.ceiling_run("e2", 10000, 0.5, 0.3)),
            ("wrk", 50, 2, "ok", self.prefix("w2", "wrk")),
            ("hey", 50, 2, "ok", self.prefix("h2", "hey")),
            ("k6", 50, 1, "skipped", "", "not installed"),
            ("open-barrage", 1000, 1, "ok", self.prefix("o1", "barrage-open")),
        ]
        manifest = os.path.join(self.dir, "manifest.tsv")
        with open(manifest, "w") as f:
            for row in rows:
                tool, conns, rnd, status, prefix = row[:5]
                note = row[5] if len(row) > 5 else ""
                f.write(f"{tool}\t{conns}\t{rnd}\t{status}\t{prefix}\t{note}\t0.5\n")
        facts = os.path.join(self.dir, "facts.json")
        with open(facts, "w") as f:
            json.dump({"rounds": 2, "seconds": 1, "nproc": 2}, f)
        out = os.path.join(self.dir, "results", "latest.json")
        with redirect_stdout(io.StringIO()) as printed:
            report.summarize(manifest, facts, out)
        text = printed.getvalue()
        with open(out) as f:
            result = json.load(f)

        self.assertEqual(result["schema"], "barrage.bench.v1")
        b = 30105.656680760887
        # Round 1's ceiling is epoll (25,000), round 2's poll (40,000): the per-round ratio uses the faster mode.
        row = next(r for r in result["table"] if r["tool"] == "barrage" and r["connections"] == 50)
        self.assertAlmostEqual(row["x_ceiling"], (b / 25000 + b / 40000) / 2)
        self.assertAlmostEqual(row["x_wrk"], b / 55330.11)
        self.assertEqual(row["rounds"], 2)
        # The ceiling's mode at a count is the one with the better median.
        self.assertEqual(result["ceiling"]["50"]["mode"], "poll")  # medians: poll 30,000, epoll 17,500
        self.assertAlmostEqual(result["ceiling"]["50"]["rps"], 30000)
        skipped = next(r for r in result["table"] if r["tool"] == "k6")
        self.assertEqual(skipped["skipped"], "not installed")
        self.assertIn("k6                     50 skipped: not installed", text)

        targets = {t["target"]: t for t in result["targets"]}
        rate = targets["barrage >= 0.95x C ceiling req/s at 50"]
        self.assertAlmostEqual(rate["value"], row["x_ceiling"])
        self.assertEqual(rate["met"], rate["value"] >= 0.95)
        # CPU per request against the faster mode of each round: 0.8 s over 25,000 and over 40,000 requests.
        cpu = targets["barrage <= 1.1x C ceiling CPU/req at 50"]
        barrage_cpu = report.parse_tool("barrage", fixture("barrage"))["cpu_us_per_req"]
        self.assertAlmostEqual(cpu["value"], (barrage_cpu / (0.8e6 / 25000) + barrage_cpu / (0.8e6 / 40000)) / 2)
        hey = targets["barrage ahead of hey at 50"]
        self.assertTrue(hey["met"])
        self.assertIn("ahead in 2 of 2 rounds", hey["detail"])
        # The open model: a 2,000 req/s fixture measured against the 20,000 target is missed, and says so.
        self.assertFalse(targets["open model within 1% of 20,000 req/s"]["met"])
        self.assertTrue(targets["open model send lateness p99 <= 1 ms"]["met"])
        self.assertEqual(result["open_model"]["send_lateness_p99_us"], 793)
        # Raw-output paths do not leak into the results.
        self.assertNotIn(self.dir, json.dumps(result["closed"]))

    def test_two_libcurls_side_by_side(self):
        """BENCH_LIBCURL: TOOL@alt runs are parsed as TOOL's, kept out of the ceiling and the targets, and compared
        with TOOL's round by round."""
        def ceiling(name, requests, version):
            p = self.ceiling_run(name, requests, 0.5, 0.3)
            with open(p + ".out") as f:
                line = f.read().strip()
            with open(p + ".out", "w") as f:
                f.write(f"{line} libcurl={version}\n")
            return p
        rows = [
            ("curl-poll", 50, 1, "ok", ceiling("p1", 40000, "7.88.1")),
            ("curl-poll@alt", 50, 1, "ok", ceiling("q1", 30000, "8.14.1")),
            ("curl-poll@alt", 50, 2, "ok", ceiling("q2", 20000, "8.14.1")),
            ("curl-poll", 50, 2, "ok", ceiling("p2", 40000, "7.88.1")),
            ("barrage", 50, 1, "ok", self.prefix("b1", "barrage")),
            ("barrage@alt", 50, 1, "ok", self.prefix("c1", "barrage")),
        ]
        manifest = os.path.join(self.dir, "manifest.tsv")
        with open(manifest, "w") as f:
            for tool, conns, rnd, status, prefix in rows:
                f.write(f"{tool}\t{conns}\t{rnd}\t{status}\t{prefix}\t\t0.5\n")
        facts = os.path.join(self.dir, "facts.json")
        with open(facts, "w") as f:
            json.dump({"rounds": 2, "seconds": 1, "nproc": 2, "libcurl_loaded": "7.88.1",
                       "libcurl_alt": {"path": "/x", "version": "8.14.1"}}, f)
        out = os.path.join(self.dir, "compare.json")
        with redirect_stdout(io.StringIO()) as printed:
            report.summarize(manifest, facts, out)
        with open(out) as f:
            result = json.load(f)
        compare = {(r["tool"], r["connections"]): r for r in result["libcurl_compare"]}
        poll = compare[("curl-poll", 50)]
        self.assertEqual(poll["rounds"], 2)
        self.assertEqual(poll["rps_ratios"], [0.75, 0.5])
        self.assertAlmostEqual(poll["rps_ratio"], 0.625)
        self.assertEqual(poll["rps"], [40000, 25000])
        self.assertEqual(poll["alt_loaded"], ["8.14.1"])
        self.assertAlmostEqual(compare[("barrage", 50)]["rps_ratio"], 1.0)
        # The ceiling is the system libcurl's alone.
        self.assertAlmostEqual(result["ceiling"]["50"]["rps"], 40000)
        self.assertIn("C ceiling (poll) @8.14.1", printed.getvalue())
        self.assertIn("req/s 8.14.1", printed.getvalue())



if __name__ == "__main__":
    unittest.main()
