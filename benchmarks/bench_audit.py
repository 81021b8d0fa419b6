#!/usr/bin/env python3
"""Benchmark: the whole sandbox audit, run as the real `opsctl audit` process: wall time and peak RSS.

Prints figures; asserts nothing (speed is measured here, never in tests). Target on the
2-core reference machine: under 5 s wall and 200 MB peak RSS for the audit. Seeding the sandbox
is timed apart, since a real account comes seeded.

    python benchmarks/bench_audit.py [--runs 3] [--workers 16]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: Runs argv, then prints {"wall": seconds, "maxrss_kb": peak RSS of that child}; exits with its code.
MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=sys.stderr).returncode
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from opsctl import sandbox

    opsctl = os.path.join(os.path.dirname(sys.executable), "opsctl")
    t0 = time.perf_counter()
    with sandbox.running_server() as url:
        start_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        sandbox.seed(url)
        seed_s = time.perf_counter() - t1
        env = {**os.environ, **sandbox.environment(url)}
        walls = []
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            peaks = []
            for _ in range(args.runs):
                command = [opsctl, "audit", "--region", sandbox.REGIONS[0], "--region", sandbox.REGIONS[1],
                           "--workers", str(args.workers), "--format", "json", "-o", out, "--fail-on", "none"]
                # A small wrapper process starts opsctl and reads its peak RSS: measured from here,
                # a child's ru_maxrss would start at this process's own (moto's server lives here),
                # because Linux carries the forking process's high-water mark across exec.
                proc = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 1
                figures = json.loads(proc.stdout.splitlines()[-1])
                walls.append(figures["wall"])
                peaks.append(figures["maxrss_kb"] / 1024)
            with open(out) as fh:
                result = json.load(fh)
    peak_child = max(peaks)
    meta = result["metadata"]
    print(f"sandbox: moto server start {start_s:.2f}s, seeding {seed_s:.2f}s (not part of the audit)")
    print(f"audit:   `opsctl audit` as a user runs it: {result['summary']['checks_run']} checks, {result['summary']['total']} findings, "
          f"{meta['api_calls']} API calls, {result['summary']['coverage_gaps']} coverage gaps, {args.workers} workers")
    print(f"wall:    median {statistics.median(walls):.2f}s, min {min(walls):.2f}s, max {max(walls):.2f}s over {args.runs} runs "
          f"(collection {meta['collect_seconds']:.2f}s, evaluation {meta['evaluate_seconds']:.3f}s in the last)")
    print(f"memory:  peak RSS of the opsctl process {peak_child:.0f} MB (highest of the runs)")
    print("target:  < 5 s wall, < 200 MB peak RSS on 2 cores (Prowler 5.x: ~60 s, ~570 MB on a similar account)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
