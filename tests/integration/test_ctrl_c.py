"""Ctrl-C and --timeout as a user meets them: a real `opsctl audit` process against the sandbox
(moto's server) behind a loopback proxy that holds every call 1 s, as a far-away endpoint would.

One Ctrl-C stops the collection within about 2 s and exits 130 having written what was collected
(or saying in one line that it wrote nothing); a second one exits at once. The timings printed are
the measurements; the assertions leave room (5 s) so a loaded machine does not make them flaky.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opsctl import sandbox
from tests.integration.test_sandbox_e2e import OPSCTL, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from latency_proxy import LatencyProxy  # noqa: E402 - benchmarks/ is not a package

pytestmark = pytest.mark.slow
LATENCY = 1.0  # seconds per call
STOP_TARGET = 2.0  # what the issue asks for; asserted with room to spare
STOP_LIMIT = 5.0


@pytest.fixture(scope="module")
def slow_sandbox():
    with sandbox.running_server() as url:
        sandbox.seed(url)
        with LatencyProxy(url, LATENCY) as proxy:
            proxy._server.handle_error = lambda *_: None  # an audit stopped mid-call leaves a broken pipe: expected
            yield proxy


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.environment(endpoint))
    env["NO_COLOR"] = "1"
    return env


def _start_audit(endpoint: str, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([OPSCTL, "audit", "--region", "us-east-1", "--format", "json", "-o", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(endpoint))


def _wait_until_collecting(proxy: LatencyProxy, proc: subprocess.Popen, at_least: float = 3.0) -> None:
    """At least `at_least` seconds after the start, and past the first call (the identity check)."""
    started = time.monotonic()
    while time.monotonic() - started < at_least or proxy.calls < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - started < 60, "the audit never started collecting"
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen, times: int = 1, gap: float = 0.2) -> tuple[float, str]:
    """SIGINT (what Ctrl-C sends), `times` times; how long the process took to exit after the first."""
    t0 = time.perf_counter()
    for i in range(times):
        if i:
            time.sleep(gap)
        proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        pytest.fail(f"still running 60 s after Ctrl-C: {stderr}")
    return time.perf_counter() - t0, stderr


def test_one_ctrl_c_stops_within_2_s_and_writes_what_was_collected(slow_sandbox, tmp_path):
    out = tmp_path / "r.json"
    slow_sandbox.reset()
    proc = _start_audit(slow_sandbox.url, out)
    _wait_until_collecting(slow_sandbox, proc)
    took, stderr = _interrupt(proc)
    print(f"\nCtrl-C after {slow_sandbox.calls} calls at {LATENCY:g} s each: exit {proc.returncode} "
          f"{took:.2f} s after the signal (target {STOP_TARGET:g} s)")
    assert proc.returncode == 130, stderr
    assert took < STOP_LIMIT, f"{took:.2f} s after Ctrl-C"
    lines = [line for line in stderr.splitlines() if line.startswith("opsctl:")]
    assert len(lines) == 1 and lines[0].startswith("opsctl: interrupted (Ctrl-C): collection stopped after "), stderr
    assert f"{out} has the findings of what was collected" in lines[0]
    data = json.loads(out.read_text())
    assert data["metadata"]["interrupted"] is True
    interrupted = [g for g in data["coverage"] if g["error_code"] == "Interrupted"]
    assert interrupted, "what was not collected is named"
    gone = {g["resource_type"] for g in interrupted}
    for finding in data["findings"]:
        if finding["resource_type"] in gone and finding["status"] == "ERROR":
            break
    else:
        pytest.fail("the checks of what was not collected must be ERROR")
    assert not any(f["status"] == "PASS" and f["resource_type"] in gone and f["resource_id"].endswith(":root")
                   for f in data["findings"]), "nothing uncollected passes"


def test_a_second_ctrl_c_exits_at_once(slow_sandbox, tmp_path):
    slow_sandbox.reset()
    proc = _start_audit(slow_sandbox.url, tmp_path / "r.json")
    _wait_until_collecting(slow_sandbox, proc)
    took, stderr = _interrupt(proc, times=2, gap=0.1)
    print(f"\ntwo Ctrl-C 0.1 s apart: exit {proc.returncode} {took:.2f} s after the first")
    assert proc.returncode == 130 and took < STOP_LIMIT, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("opsctl:")]
    assert lines == ["opsctl: interrupted again (Ctrl-C): stopped at once; a report being written may be incomplete"]


class _NeverAnswers(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's name
        self.server.release.wait(120)  # type: ignore[attr-defined]

    do_GET = do_POST


@pytest.fixture
def silent_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeverAnswers)
    server.daemon_threads = True
    server.release = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def test_ctrl_c_before_anything_was_collected_says_so_in_one_line(silent_endpoint, tmp_path):
    """Ctrl-C while the first call waits for an endpoint that never answers."""
    out = tmp_path / "r.json"
    proc = _start_audit(silent_endpoint, out)
    time.sleep(3)
    took, stderr = _interrupt(proc)
    print(f"\nCtrl-C during the first call: exit {proc.returncode} {took:.2f} s after the signal")
    assert proc.returncode == 130 and took < STOP_LIMIT, stderr
    assert stderr.strip() == "opsctl: interrupted (Ctrl-C); the run stopped before writing its results"
    assert not out.exists()


def test_an_endpoint_that_never_answers_is_one_line_exit_2_within_the_timeout(silent_endpoint, tmp_path):
    started = time.perf_counter()
    proc = subprocess.run([OPSCTL, "audit", "--timeout", "1", "--region", "us-east-1"], capture_output=True, text=True,
                          env=_env(silent_endpoint), timeout=120)
    took = time.perf_counter() - started
    print(f"\nan endpoint that never answers, --timeout 1: exit {proc.returncode} after {took:.2f} s")
    assert proc.returncode == 2 and took < 10, proc.stderr
    assert proc.stderr.strip() == (f"opsctl: AWS_ENDPOINT_URL {silent_endpoint} did not answer sts:GetCallerIdentity "
                                   "within 1s (--timeout); check AWS_ENDPOINT_URL")
