"""A CLI that stops when asked and names what is wrong (issue 13, item 8).

* Ctrl-C during collection: collect() stops within its grace, keeps what finished and marks the
  rest `Interrupted` (ERROR, never PASS); `opsctl audit` writes that and exits 130 in one line.
* --timeout: botocore's connect/read timeouts; the first call is tried once, so an endpoint that
  never answers, answers garbage, an HTML 500 or resets the connection is one line, exit 2.
* A FIFO or a device given as a file is refused at once.
"""

from __future__ import annotations

import _thread
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.collect import runner
from opsctl.collect.runner import CollectionInterrupted, collect, collector
from opsctl.errors import UsageError, read_text_file
from opsctl.snapshot import save_snapshot
from tests.helpers import snapshot

OPSCTL = str(Path(sys.executable).parent / "opsctl")


# ----- Ctrl-C in collect() ------------------------------------------------------------------------
@pytest.fixture
def fake_collectors(monkeypatch):
    """Three collectors and nothing else: `fast` finishes, `blocked` sits in a call that never
    returns (a socket read: not interruptible), `queued` waits for a worker. Ctrl-C comes from
    `fast` once it is done."""
    monkeypatch.setattr(runner, "COLLECTORS", [])
    release = threading.Event()

    @collector("sns", types=("sns.topic",))
    def fast(ctx, region):
        time.sleep(0.2)  # every task is submitted, `blocked` is in its call
        _thread.interrupt_main()  # the user's Ctrl-C, delivered to the main thread
        time.sleep(0.2)  # its last call returns within the grace: kept
        return {"sns.topic": [{"arn": f"arn:aws:sns:{region}:123456789012:t", "region": region}]}

    @collector("kms", types=("kms.key",))
    def blocked(ctx, region):
        release.wait(30)  # a call in flight that the grace does not wait for
        return {"kms.key": [{"arn": "arn:aws:kms:us-east-1:123456789012:key/late", "region": region}]}

    @collector("logs", types=("logs.log_group",))
    def queued(ctx, region):
        ctx.before_call("logs", region)  # raises Cancelled once stopped
        return {"logs.log_group": [{"arn": "arn:aws:logs:us-east-1:123456789012:log-group:x", "region": region}]}

    monkeypatch.setattr(runner, "load_collectors", lambda: list(runner.COLLECTORS))
    yield release
    release.set()


def test_ctrl_c_keeps_what_was_collected_and_marks_the_rest_interrupted(fake_collectors):
    stop = threading.Event()
    started = time.perf_counter()
    with pytest.raises(CollectionInterrupted) as caught:
        collect(object(), ["us-east-1"], account="123456789012", workers=2, stop=stop, grace=0.5)
    took = time.perf_counter() - started
    print(f"collect() stopped {took:.2f}s after it started (grace 0.5 s, one call blocked for 30 s)")
    assert 0.5 <= took < 3 and stop.is_set(), "waited the grace for the call in flight, never longer"
    snap = caught.value.snapshot
    assert isinstance(caught.value, KeyboardInterrupt), "a caller that does not know it sees Ctrl-C as before"
    assert [r["arn"] for r in snap.resources["sns.topic"]] == ["arn:aws:sns:us-east-1:123456789012:t"]
    assert snap.collected == {"sns.topic": ["us-east-1"]}
    gaps = {(g.resource_type, g.region, g.error_code) for g in snap.coverage}
    assert gaps == {("kms.key", "us-east-1", "Interrupted"), ("logs.log_group", "us-east-1", "Interrupted")}
    assert snap.stats["interrupted"] and snap.stats["tasks"] == 3 and snap.stats["tasks_done"] == 1

    fake_collectors.set()  # the blocked call returns at last: it changes nothing any more
    time.sleep(0.2)
    assert "kms.key" not in snap.resources
    with pytest.raises(Exception, match="Interrupted"):
        snap.require("kms.key", "us-east-1")  # its checks are ERROR, never PASS


def test_a_stop_set_by_someone_else_is_cancelled_at_once(fake_collectors):
    """The organisation audit's stop event: collect raises Cancelled without waiting for the
    blocked call (the account is then marked not reached)."""
    stop = threading.Event()
    stop.set()
    started = time.perf_counter()
    with pytest.raises(runner.Cancelled):
        collect(object(), ["us-east-1"], account="123456789012", services=["logs"], workers=2, stop=stop)
    assert time.perf_counter() - started < 2


def _interrupted_snapshot():
    group = {"arn": "arn:aws:logs:us-east-1:123456789012:log-group:app", "name": "app", "region": "us-east-1",
             "retention_days": 30}
    snap = snapshot({"logs.log_group": [group]}, collected={"logs.log_group": ["us-east-1"]})
    snap.coverage = [runner.CoverageGap("s3", "global", "collect_buckets", "Interrupted",
                                        "the run was interrupted (Ctrl-C) before this was collected", "s3.bucket", "")]
    snap.stats = {"calls": 7, "seconds": 3.2, "tasks": 33, "tasks_done": 1, "interrupted": True}
    return snap


def test_audit_writes_what_was_collected_and_exits_130_in_one_line(monkeypatch, tmp_path):
    from opsctl import audit as core

    def interrupted(*_a, **_k):
        raise CollectionInterrupted(_interrupted_snapshot())

    monkeypatch.setattr(core, "load_or_collect", interrupted)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["audit", "--format", "json", "-o", str(out)])
    assert result.exit_code == 130, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("opsctl:")]
    assert lines == [f"opsctl: interrupted (Ctrl-C): collection stopped after 1 of 33 collector runs; {out} has the "
                     "findings of what was collected, the checks of the rest are ERROR (not collected: interrupted)"]
    data = json.loads(out.read_text())
    assert data["metadata"]["interrupted"] is True and data["metadata"]["api_calls"] == 7
    s3 = [f for f in data["findings"] if f["resource_type"] == "s3.bucket"]
    assert s3 and {f["status"] for f in s3} == {"ERROR"} and all("interrupted" in f["message"] for f in s3)
    (logs,) = [f for f in data["findings"] if f["check_id"] == "logs.group_retention"]
    assert logs["status"] == "PASS", "what was collected is evaluated"


def test_ctrl_c_before_anything_was_collected_says_nothing_was_written(monkeypatch, tmp_path):
    from opsctl import audit as core

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "load_or_collect", interrupted)
    result = CliRunner().invoke(cli, ["audit", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 130
    assert result.output.strip() == "opsctl: interrupted (Ctrl-C); the run stopped before writing its results"
    assert not (tmp_path / "r.json").exists()


# ----- --timeout and endpoints that do not answer like AWS ------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "never":
            self.server.release.wait(60)  # type: ignore[attr-defined]
            return
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            return
        body, status, kind = {
            "garbage": (b"hello", 200, "text/plain"),
            "html": (b"<!doctype html><html><head><title>Welcome</title></head><body>hi</body></html>", 200, "text/html"),
            "html500": (b"<html><head><title>500 Internal Server Error</title></head><body>boom</body></html>", 500,
                        "text/html"),
        }[mode]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@contextmanager
def bad_endpoint(mode):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.mode = mode  # type: ignore[attr-defined]
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.release.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


EXPECTED = {
    "never": "did not answer sts:GetCallerIdentity within 1s (--timeout); check AWS_ENDPOINT_URL",
    "garbage": "did not answer like AWS STS (an unparseable reply to GetCallerIdentity); check AWS_ENDPOINT_URL",
    "html": "did not answer like AWS STS (an unparseable reply to GetCallerIdentity); check AWS_ENDPOINT_URL",
    "html500": "answered sts:GetCallerIdentity with HTTP 500 (Internal Server Error), not an AWS answer",
    "reset": "closed the connection without answering sts:GetCallerIdentity; check AWS_ENDPOINT_URL",
}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_the_first_call_to_an_endpoint_that_is_not_aws_is_one_usage_error(mode, monkeypatch):
    from opsctl.aws import Aws

    with bad_endpoint(mode) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        started = time.perf_counter()
        with pytest.raises(UsageError) as caught:
            Aws(timeout=1).identity()
        took = time.perf_counter() - started
    message = str(caught.value)
    print(f"{mode}: {took:.2f}s: {message}")
    assert message.startswith(f"AWS_ENDPOINT_URL {url} ") and EXPECTED[mode] in message and "\n" not in message
    assert took < 4, "one attempt, bounded by --timeout"


def test_timeouts_are_botocores_connect_and_read_timeouts():
    from opsctl import aws

    try:
        aws.set_timeout(7)
        client = aws.Aws().client("s3", "us-east-1")
        assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (7, 7)
        first = aws.Aws().first_call_config
        assert first.retries == {"mode": "standard", "total_max_attempts": 1} and first.read_timeout == 7
    finally:
        aws.set_timeout(None)
    assert aws.Aws().timeout == aws.DEFAULT_TIMEOUT == 30


def test_timeout_flag_is_validated_and_reaches_aws(monkeypatch, tmp_path):
    from opsctl import aws

    bad = CliRunner().invoke(cli, ["audit", "--timeout", "0"])
    assert bad.exit_code == 2 and "--timeout" in bad.output
    seen = []
    monkeypatch.setattr(aws, "set_timeout", seen.append)
    snap = tmp_path / "s.json"
    save_snapshot(snapshot({}), snap)
    assert CliRunner().invoke(cli, ["audit", "--snapshot", str(snap), "--timeout", "2.5"]).exit_code in (0, 1)
    assert seen == [2.5]


def test_a_timed_out_collection_call_is_a_named_gap():
    import botocore.exceptions

    code, message = runner._error_details(botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"))
    assert code == "ReadTimeout" and "read timeout (--timeout)" in message


def test_an_endpoint_failure_escaping_every_handler_is_one_line_not_an_internal_error():
    import botocore.exceptions

    from opsctl.cli import _endpoint_failure

    line = _endpoint_failure(botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"))
    assert line and "no usable answer" in line and "--timeout" in line and "\n" not in line
    assert _endpoint_failure(botocore.exceptions.ParamValidationError(report="x")) is None, "a bug stays a bug"
    assert _endpoint_failure(ValueError("x")) is None


# ----- files that are not files ---------------------------------------------------------------------
def test_read_text_file_refuses_fifos_and_devices_at_once(tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a character device")):
        started = time.perf_counter()
        with pytest.raises(OSError, match=f"not a regular file but {kind}"):
            read_text_file(path)
        assert time.perf_counter() - started < 1
    with pytest.raises(IsADirectoryError):
        read_text_file(tmp_path)
    (tmp_path / "a.yaml").write_bytes(b"a: 1\r\nb: 2\r\n")
    assert read_text_file(tmp_path / "a.yaml") == "a: 1\nb: 2\n", "read as Path.read_text reads it"


@pytest.mark.parametrize("args", [
    ["--config", "/dev/zero"],
    ["--snapshot", "{fifo}"],
    ["--config", "{fifo}"],
    ["--waivers", "{fifo}"],
    ["--baseline", "/dev/zero"],
    ["--spec", "{fifo}"],
    ["--prices", "{fifo}", "--snapshot", "{snap}"],
], ids=lambda a: " ".join(a))
def test_a_fifo_or_device_as_a_file_flag_is_refused_at_once(args, tmp_path):
    """In a subprocess: were it read, the test would hang, not fail."""
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    snap = tmp_path / "s.json"
    save_snapshot(snapshot({}), snap)
    argv = [a.format(fifo=fifo, snap=snap) for a in args]
    started = time.perf_counter()
    proc = subprocess.run([OPSCTL, "audit", *argv], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    took = time.perf_counter() - started
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a regular file but a" in lines[0], lines
    assert took < 20
