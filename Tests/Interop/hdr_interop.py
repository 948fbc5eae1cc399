#!/usr/bin/env python3
"""Interop helper for HdrCodecTests: the PyPI package `hdrhistogram` (imported as `hdrh`) as the reference codec.

  hdr_interop.py decode BASE64
      Decodes a V2 compressed blob and prints one JSON object:
      {total_count, min, max, p50, p90, p99, p999, p9999, p100, buckets}
      where buckets lists [highest equivalent value, count] for every non-zero count, in value order.
  hdr_interop.py encode LOWEST HIGHEST DIGITS v1,v2,...
      Records the values (an item `value:count` records `count` of them) and prints the compressed base64.

Exit status 0 on success, 1 on a decode error (message on stderr), 2 on bad usage.
"""
import json
import sys

from hdrh.histogram import HdrHistogram

PERCENTILES = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9), ("p9999", 99.99), ("p100", 100.0)]


def decode(blob):
    h = HdrHistogram.decode(blob)
    out = {
        "total_count": h.get_total_count(),
        "min": h.get_min_value(),
        "max": h.get_max_value(),
    }
    for name, percentile in PERCENTILES:
        out[name] = h.get_value_at_percentile(percentile)
    out["buckets"] = [[step.value_iterated_to, step.count_at_value_iterated_to] for step in h.get_recorded_iterator()]
    return out


def encode(lowest, highest, digits, items):
    h = HdrHistogram(lowest, highest, digits)
    for item in items:
        if not item:
            continue
        value, _, count = item.partition(":")
        if not h.record_value(int(value), int(count) if count else 1):
            raise ValueError("value out of range: %s" % value)
    return h.encode().decode("ascii")


def main(argv):
    if len(argv) == 3 and argv[1] == "decode":
        try:
            result = decode(argv[2])
        except Exception as error:  # noqa: BLE001 - report any decoder failure as one line
            print("decode failed: %s: %s" % (type(error).__name__, error), file=sys.stderr)
            return 1
        print(json.dumps(result))
        return 0
    if len(argv) == 6 and argv[1] == "encode":
        print(encode(int(argv[2]), int(argv[3]), int(argv[4]), argv[5].split(",")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
