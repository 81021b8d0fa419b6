#!/usr/bin/env python3
"""Benchmark: organisation audits (`opsctl audit --org`) of 1, 10 and 50 sandbox accounts.

Each size gets a freshly started sandbox moto server in a separate process (its memory is not
counted), seeded with `opsctl.sandbox_seed.org.seed_organization` (size 1: the plain one-account
sandbox, audited without --org, the baseline). The audit runs as the real `opsctl audit --org`
process; its wall time and peak RSS are measured from outside it. Then:

* latency: the same audit (at --latency-sizes, default 10) through a loopback proxy adding
  --latency-ms (default 50) to every call: achieved concurrency = calls × latency ÷ wall, against
  the critical-path estimate (calls ÷ (account workers × per-account workers)) × latency;
* shards: `--shard i/3` for i = 1..3 one after the other, `opsctl report merge`, and whether the
  merged findings equal the single run's.

Prints figures, with the targets next to them; asserts nothing. Targets on the 2-core reference
machine: 50 accounts in < 60 s wall, < 400 MB peak RSS, < 2 MB per extra account; through the
latency proxy, wall within 2× the critical-path estimate. Never leaves the loopback interface.

    python benchmarks/bench_org.py [--sizes 1,10,50] [--latency-sizes 10] [--latency-ms 50] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency_proxy import LatencyProxy  # noqa: E402 - benchmarks/ is not a package

REGIONS = ("us-east-1", "eu-west-1")
TARGET_WALL_50, TARGET_RSS_MB, TARGET_MB_PER_ACCOUNT, TARGET_CRITICAL_PATH_FACTOR = 60.0, 400.0, 2.0, 2.0
SHARDS = 3
AUDIT_ROLE = "OrganizationAccountAccessRole"

#: The sandbox server process: start moto, seed, print one READY line, serve until stdin closes.
SERVER = """
import json, sys, time
from opsctl import sandbox
size = int(sys.argv[1])
t0 = time.perf_counter()
with sandbox.running_server() as url:
    info = {"url": url, "start_seconds": time.perf_counter() - t0}
    t1 = time.perf_counter()
    if size == 1:
        sandbox.seed(url)
        info["accounts"] = [{"id": sandbox.ACCOUNT, "name": "sandbox", "kind": "reference", "state": "ACTIVE"}]
    else:
        from opsctl.sandbox_seed import org
        seeded = org.seed_organization(url, size)
        info["accounts"] = [{"id": a.id, "name": a.name, "kind": a.kind, "state": a.state,
                             "management": a.id == seeded.management_account_id} for a in seeded.accounts]
        info["seconds_by_kind"] = seeded.seconds_by_kind()
    info["seed_seconds"] = time.perf_counter() - t1
    print("READY " + json.dumps(info), flush=True)
    sys.stdin.read()
"""

#: Fallback without /usr/bin/time: runs argv, prints {"maxrss_kb": peak RSS of that child}.
MEASURE = """
import json, resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"maxrss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime}), file=sys.stderr)
sys.exit(code)
"""


def log(message: str) -> None:
    print(f"[bench_org {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_mb(pid: int) -> float | None:
    """A running process's peak resident set (VmHWM) in MB; None where /proc has no such process."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Sandbox:
    """A sandbox moto server of `size` accounts in its own process (so its memory is its own)."""

    def __init__(self, size: int, workdir: str) -> None:
        self.size = size
        self._stderr = open(os.path.join(workdir, f"server-{size}.log"), "w+")  # noqa: SIM115 - closed in __exit__
        self.info: dict[str, Any] = {}
        self.wall = 0.0

    def __enter__(self) -> Sandbox:
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(self.size)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if line.startswith("READY "):
                self.info = json.loads(line[len("READY "):])
                break
        else:
            self._stderr.seek(0)
            raise RuntimeError(f"the sandbox server of {self.size} account(s) did not start:\n{self._stderr.read()[-4000:]}")
        self.wall = time.perf_counter() - t0
        return self

    @property
    def url(self) -> str:
        return self.info["url"]

    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.proc.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server process has used so far (0 where /proc is missing)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    def __exit__(self, *exc: object) -> None:
        self.server_rss_mb = self.peak_rss_mb()
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self._stderr.close()


@dataclass
class Run:
    label: str
    wall: float
    rss_mb: float
    result: dict[str, Any]
    result_bytes: int
    cpu: float = 0.0  # user + system seconds of the opsctl process
    server_cpu: float = 0.0  # the moto server's, during the run
    proxy: dict[str, Any] = field(default_factory=dict)

    @property
    def cores_busy(self) -> float:
        return (self.cpu + self.server_cpu) / self.wall if self.wall else 0.0

    @property
    def meta(self) -> dict[str, Any]:
        return self.result.get("metadata", {})

    @property
    def entries(self) -> list[dict[str, Any]]:
        return self.result.get("accounts") or []

    @property
    def audited(self) -> int:
        return sum(1 for a in self.entries if a.get("status") == "audited") if self.is_org else 1

    @property
    def not_reached(self) -> int:
        return sum(1 for a in self.entries if a.get("status") != "audited")

    @property
    def skipped(self) -> int:
        return len((self.result.get("organization") or {}).get("skipped") or [])

    @property
    def is_org(self) -> bool:
        return self.result.get("accounts") is not None

    @property
    def api_calls(self) -> int:
        calls = self.meta.get("api_calls")
        return int(calls) if calls is not None else sum(int(a.get("api_calls") or 0) for a in self.entries)

    @property
    def sts_calls(self) -> int:
        return int(self.meta.get("sts_calls") or 0)

    @property
    def account_workers(self) -> int:
        return int(self.meta.get("account_workers") or 1)


def sandbox_env(url: str) -> dict[str, str]:
    """The environment of an opsctl run against the sandbox, and nothing else (no profile, no IMDS)."""
    from opsctl import sandbox

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("OPSCTL_CONFIG",)}
    env.update(sandbox.environment(url))
    env.update({"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "NO_COLOR": "1"})
    return env


def measured(command: list[str], env: dict[str, str], cwd: str, what: str) -> tuple[float, float, float]:
    """Run `command`; (wall seconds, peak RSS MB, user + system CPU seconds of that process). Raises on a failure."""
    time_bin = shutil.which("time", path="/usr/bin:/bin")
    rusage_file = os.path.join(cwd, "rusage.txt")
    if time_bin:
        argv = [time_bin, "-v", "-o", rusage_file, *command]
    else:
        # Through a small wrapper: measured from here, the child's ru_maxrss would start at this
        # process's own high-water mark (Linux carries it across a vfork+exec).
        argv = [sys.executable, "-c", MEASURE, *command]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1, 3):  # 1: FAILs (--fail-on none makes it unlikely), 3: incomplete
        raise RuntimeError(f"{what} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    if time_bin:
        with open(rusage_file) as fh:
            text = fh.read()
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss_kb = int(match.group(1)) if match else 0
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
    else:
        figures = json.loads(proc.stderr.rstrip().splitlines()[-1])
        rss_kb, cpu = figures["maxrss_kb"], figures["cpu"]
    return wall, rss_kb / 1024, cpu


def opsctl_bin() -> str:
    return os.path.join(os.path.dirname(sys.executable), "opsctl")


def audit(sb: Sandbox, url: str, size: int, workdir: str, label: str, args: argparse.Namespace,
          shard: str | None = None) -> Run:
    out = os.path.join(workdir, f"{label}.json")
    command = [opsctl_bin(), "audit"]
    if size > 1:
        command.append("--org")
        if args.account_workers:
            command += ["--account-workers", str(args.account_workers)]
        if shard:
            command += ["--shard", shard]
    for region in REGIONS:
        command += ["--region", region]
    if args.workers:
        command += ["--workers", str(args.workers)]
    command += ["--format", "json", "-o", out, "--fail-on", "none"]
    server_cpu = sb.cpu_seconds()
    wall, rss, cpu = measured(command, sandbox_env(url), workdir, f"`opsctl audit` ({label})")
    server_cpu = sb.cpu_seconds() - server_cpu
    with open(out) as fh:
        text = fh.read()
    return Run(label, wall, rss, json.loads(text), len(text.encode()), cpu, server_cpu)


def snapshot_bytes(url: str, accounts: list[dict[str, Any]], workdir: str) -> dict[str, int]:
    """kind → compact JSON size of one account's snapshot (`opsctl inventory collect`), for each audited kind."""
    sizes: dict[str, int] = {}
    for account in accounts:
        kind = account["kind"]
        if kind in sizes or kind in ("missing-role", "suspended"):
            continue
        out = os.path.join(workdir, f"snapshot-{kind}.json")
        command = [opsctl_bin(), "inventory", "collect", *[x for r in REGIONS for x in ("--region", r)], "-o", out]
        if not account.get("management", True):
            command += ["--role-arn", f"arn:aws:iam::{account['id']}:role/{AUDIT_ROLE}"]
        measured(command, sandbox_env(url), workdir, f"`opsctl inventory collect` ({kind})")
        with open(out) as fh:
            sizes[kind] = len(json.dumps(json.load(fh), separators=(",", ":")).encode())
    return sizes


def shard_and_merge(sb: Sandbox, url: str, size: int, workdir: str, args: argparse.Namespace, single: Run) -> dict[str, Any]:
    shards = [audit(sb, url, size, workdir, f"shard-{i}-of-{SHARDS}", args, shard=f"{i}/{SHARDS}") for i in range(1, SHARDS + 1)]
    merged_path = os.path.join(workdir, "merged.json")
    command = [opsctl_bin(), "report", "merge", *[os.path.join(workdir, f"{s.label}.json") for s in shards], "-o", merged_path]
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=workdir, env=sandbox_env(url), capture_output=True, text=True)
    merge_wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"`opsctl report merge` exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    with open(merged_path) as fh:
        merged = json.load(fh)
    mine, theirs = merged.get("findings", []), single.result.get("findings", [])
    key = lambda f: json.dumps(f, sort_keys=True)  # noqa: E731
    status = lambda r: sorted((a["id"], a["status"]) for a in r.get("accounts") or [])  # noqa: E731
    differing = sorted(set(map(key, mine)) ^ set(map(key, theirs)))
    return {"shards": shards, "merge_wall": merge_wall, "equal": mine == theirs,
            "equal_unordered": sorted(map(key, mine)) == sorted(map(key, theirs)),
            "accounts_equal": status(merged) == status(single.result), "findings": (len(mine), len(theirs)),
            "differing": differing[:3], "warnings": [ln for ln in proc.stderr.splitlines() if ln.startswith("warning")]}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def parse_sizes(text: str) -> list[int]:
    sizes = [int(x) for x in text.split(",") if x.strip()]
    from opsctl.sandbox_seed.org import MAX_ACCOUNTS, MIN_ACCOUNTS

    for s in sizes:
        if s != 1 and not MIN_ACCOUNTS <= s <= MAX_ACCOUNTS:
            raise SystemExit(f"bench_org: size {s}: 1 (one account) or {MIN_ACCOUNTS}..{MAX_ACCOUNTS} accounts")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50", help="organisation sizes, the management account included (1: a plain audit)")
    parser.add_argument("--latency-sizes", default="10", help="sizes audited again through the latency proxy ('' for none)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="latency the proxy adds to every call (0: no latency run)")
    parser.add_argument("--shard-size", type=int, default=10, help="size of the shard + merge comparison (0: none)")
    parser.add_argument("--workers", type=int, help="--workers of the audits (default: opsctl's)")
    parser.add_argument("--account-workers", type=int, help="--account-workers of the audits (default: opsctl's)")
    parser.add_argument("--quick", action="store_true", help="sizes 1,10 and no latency run")
    parser.add_argument("--keep", metavar="DIR", help="keep the results and server logs in DIR")
    args = parser.parse_args()

    from opsctl.aws import DEFAULT_WORKERS
    from opsctl.org_audit import DEFAULT_ACCOUNT_WORKERS
    from opsctl.sandbox_seed.org import layout

    sizes = [1, 10] if args.quick else parse_sizes(args.sizes)
    latency_sizes = [] if args.quick or args.latency_ms <= 0 else parse_sizes(args.latency_sizes)
    shard_size = args.shard_size if args.shard_size and args.shard_size > 1 else 0
    if shard_size:
        parse_sizes(str(shard_size))
    latency = args.latency_ms / 1000
    per_account_workers = args.workers or DEFAULT_WORKERS

    runs: dict[int, Run] = {}
    lat_runs: dict[int, Run] = {}
    servers: dict[int, dict[str, Any]] = {}
    snapshots: dict[str, int] = {}
    shard_report: dict[str, Any] | None = None
    workdir = args.keep or tempfile.mkdtemp(prefix="bench-org-")
    os.makedirs(workdir, exist_ok=True)
    t_all = time.perf_counter()
    load_before = os.getloadavg()
    try:
        for size in sorted(set(sizes) | set(latency_sizes) | ({shard_size} if shard_size else set())):
            log(f"{size} account(s): starting and seeding a sandbox server")
            with Sandbox(size, workdir) as sb:
                servers[size] = {"start": sb.info["start_seconds"], "seed": sb.info["seed_seconds"], "wall": sb.wall,
                                 "by_kind": sb.info.get("seconds_by_kind", {})}
                log(f"{size} account(s): server started in {sb.info['start_seconds']:.1f}s, seeded in {sb.info['seed_seconds']:.1f}s")
                single = None
                if size in sizes or size == shard_size:
                    single = runs[size] = audit(sb, sb.url, size, workdir, f"audit-{size}", args)
                    log(f"{size} account(s): audit {single.wall:.1f}s, {single.rss_mb:.0f} MB")
                if not snapshots and size >= 8:  # every kind is there from 8 accounts on
                    snapshots = snapshot_bytes(sb.url, sb.info["accounts"], workdir)
                    log(f"{size} account(s): snapshot sizes by kind {snapshots}")
                if size in latency_sizes:
                    with LatencyProxy(sb.url, latency) as proxy:
                        run = audit(sb, proxy.url, size, workdir, f"audit-{size}-latency", args)
                        run.proxy = {"calls": proxy.calls, "peak": proxy.peak_in_flight, "busy": proxy.busy_seconds}
                    lat_runs[size] = run
                    log(f"{size} account(s): through the {args.latency_ms:.0f} ms proxy {run.wall:.1f}s, {proxy.calls} calls")
                if size == shard_size and single is not None:
                    shard_report = shard_and_merge(sb, sb.url, size, workdir, args, single)
                    log(f"{size} account(s): shards and merge done")
                servers[size]["rss"] = sb.peak_rss_mb()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - t_all
    load_after = os.getloadavg()

    # ----- the figures ------------------------------------------------------------------------
    print(f"bench_org: `opsctl audit --org --region {' --region '.join(REGIONS)} --format json`, "
          f"{os.cpu_count()} CPUs, opsctl defaults: {DEFAULT_ACCOUNT_WORKERS} account workers × {DEFAULT_WORKERS} workers per account"
          + (f" (this run: --account-workers {args.account_workers})" if args.account_workers else "")
          + (f" (this run: --workers {args.workers})" if args.workers else ""))
    print("sandbox (separate process, not counted):")
    for size, s in servers.items():
        kinds = ", ".join(f"{k} {n}× {sec:.1f}s" for k, (n, sec) in s["by_kind"].items())
        print(f"  {size:>3} account(s): moto start {s['start']:.1f}s, seeding {s['seed']:.1f}s"
              + (f" ({kinds})" if kinds else "") + (f", server peak RSS {s['rss']:.0f} MB" if s.get("rss") else ""))
    print("audit (the opsctl process; size 1 = plain one-account audit, no --org):")
    print(f"  {'accounts':>8} {'wall s':>7} {'audited':>7} {'unreached':>9} {'skipped':>7} {'acct/min':>8} "
          f"{'RSS MB':>7} {'API calls':>9} {'calls/acct':>10} {'STS':>4} {'result KB':>9} "
          f"{'CPU s':>6} {'moto CPU s':>10} {'cores busy':>10}")
    for size in sorted(runs):
        r = runs[size]
        per_min = r.audited / r.wall * 60 if r.wall else 0
        print(f"  {size:>8} {r.wall:>7.1f} {r.audited:>7} {r.not_reached:>9} {r.skipped:>7} {per_min:>8.1f} "
              f"{r.rss_mb:>7.0f} {r.api_calls:>9} {r.api_calls / max(r.audited, 1):>10.0f} {r.sts_calls:>4} "
              f"{r.result_bytes / 1024:>9.0f} {r.cpu:>6.1f} {r.server_cpu:>10.1f} {r.cores_busy:>10.2f}")
    print(f"  (CPU s: the opsctl process's user + system time; moto CPU s: the sandbox server's during the audit; "
          f"cores busy = both ÷ wall, of {os.cpu_count()})")
    big = max((s for s in runs if s > 10), default=None)
    if big is not None:
        r = runs[big]
        print(f"  target: {big} accounts < {TARGET_WALL_50:.0f} s wall: {r.wall:.1f}s {verdict(r.wall < TARGET_WALL_50)}; "
              f"peak RSS < {TARGET_RSS_MB:.0f} MB: {r.rss_mb:.0f} MB {verdict(r.rss_mb < TARGET_RSS_MB)}")
    elif runs:
        worst = max(runs.values(), key=lambda r: r.rss_mb)
        print(f"  target: peak RSS < {TARGET_RSS_MB:.0f} MB: {worst.rss_mb:.0f} MB {verdict(worst.rss_mb < TARGET_RSS_MB)} "
              f"(the {TARGET_WALL_50:.0f} s target is for 50 accounts: not run)")
    if big is not None and 10 in runs:
        small, large = runs[10], runs[big]
        extra = big - 10
        per_account = (large.rss_mb - small.rss_mb) / extra
        print(f"memory:  per extra account (RSS_{big} - RSS_10) / {extra} = {per_account:.2f} MB/account "
              f"(target < {TARGET_MB_PER_ACCOUNT:.0f} MB: {verdict(per_account < TARGET_MB_PER_ACCOUNT)})")
        result_per = (large.result_bytes - small.result_bytes) / extra / 1024 / 1024
        line = f"  data:  the result grows {result_per:.3f} MB/account (JSON)"
        if snapshots:
            kinds = [kind for _, _, kind in layout(big)[9:big - 1] if kind in snapshots]
            snap_mb = sum(snapshots[k] for k in kinds) / max(len(kinds), 1) / 1024 / 1024
            line += (f"; the extra accounts' snapshots average {snap_mb:.3f} MB (compact JSON; "
                     + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in snapshots.items()) + ")")
            if snap_mb:
                line += f": RSS per extra account = {per_account / snap_mb:.1f}× its snapshot"
        print(line)
    elif 10 in runs and len(runs) > 1:
        print("memory:  per extra account needs a size above 10 (e.g. --sizes 1,10,50)")
    for size, r in sorted(lat_runs.items()):
        calls = r.proxy["calls"]
        concurrency = calls * latency / r.wall if r.wall else 0
        aw = r.account_workers if r.is_org else 1
        estimate = calls / (aw * per_account_workers) * latency
        print(f"latency: {size} account(s) through a {args.latency_ms:.0f} ms loopback proxy: wall {r.wall:.1f}s, "
              f"{calls} calls through the proxy ({r.api_calls} API + {r.sts_calls} STS in the result), "
              f"achieved concurrency {concurrency:.1f} (calls × latency ÷ wall; peak in flight {r.proxy['peak']}, "
              f"mean {r.proxy['busy'] / r.wall:.1f}; CPU: opsctl {r.cpu:.1f}s, moto {r.server_cpu:.1f}s, "
              f"{r.cores_busy:.2f} cores busy)")
        direct = runs.get(size)
        added = f"; the proxy added {r.wall - direct.wall:.1f}s to the direct run's {direct.wall:.1f}s" if direct else ""
        print(f"  critical path: ({calls} calls ÷ ({aw} account workers × {per_account_workers} workers)) × "
              f"{args.latency_ms:.0f} ms = {estimate:.2f}s{added}")
        print(f"  target: wall <= {TARGET_CRITICAL_PATH_FACTOR:.0f}× the estimate = {TARGET_CRITICAL_PATH_FACTOR * estimate:.2f}s: "
              f"{r.wall:.1f}s {verdict(r.wall <= TARGET_CRITICAL_PATH_FACTOR * estimate)}")
    if shard_report:
        shards = shard_report["shards"]
        single = runs[shard_size]
        walls = [s.wall for s in shards]
        audited = "+".join(str(s.audited) for s in shards)
        print(f"shards:  {shard_size} accounts as {SHARDS} shards run one after another: "
              + ", ".join(f"{s.wall:.1f}s" for s in shards)
              + f" (sum {sum(walls):.1f}s, max {max(walls):.1f}s; accounts audited {audited}; peak RSS max "
              f"{max(s.rss_mb for s in shards):.0f} MB) vs one process {single.wall:.1f}s; merge {shard_report['merge_wall']:.1f}s")
        n_mine, n_single = shard_report["findings"]
        print(f"  merged findings == single-run findings: equal: {'yes' if shard_report['equal'] else 'no'} "
              f"({n_mine} vs {n_single} findings; same accounts and statuses: {'yes' if shard_report['accounts_equal'] else 'no'})")
        if not shard_report["equal"]:
            print(f"  same findings in another order: {'yes' if shard_report['equal_unordered'] else 'no'}; first differences:")
            for d in shard_report["differing"]:
                print(f"    {d[:300]}")
        for w in shard_report["warnings"]:
            print(f"  merge {w}")
    print(f"targets: 50 accounts < {TARGET_WALL_50:.0f} s, peak RSS < {TARGET_RSS_MB:.0f} MB, < {TARGET_MB_PER_ACCOUNT:.0f} MB per "
          f"extra account; latency: wall <= {TARGET_CRITICAL_PATH_FACTOR:.0f}× the critical-path estimate")
    print(f"bench_org: {total:.0f}s in all (servers, seeding, audits); load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.1f}' for x in load_before)} before, {' '.join(f'{x:.1f}' for x in load_after)} after "
          f"on {os.cpu_count()} CPUs (other work on the machine slows every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
