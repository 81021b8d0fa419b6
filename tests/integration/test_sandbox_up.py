"""`opsctl sandbox up` as a user drives it: start it, read the exports, audit it, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from opsctl.sandbox import free_port
from tests.integration.test_sandbox_e2e import OPSCTL, run_opsctl

pytestmark = pytest.mark.slow


def test_sandbox_up_prints_exports_serves_audits_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([OPSCTL, "sandbox", "up", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        exports = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("export "):
                key, _, value = line[len("export "):].strip().partition("=")
                exports[key] = value
            if line.startswith("# Ctrl-C"):
                break
        assert exports.get("AWS_ENDPOINT_URL") == f"http://127.0.0.1:{port}", exports
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(exports)

        out = tmp_path / "r.json"
        audit = run_opsctl(["audit", "--region", "us-east-1", "--select", "s3.*", "--format", "json", "-o", str(out),
                            "--fail-on", "none"], {**exports, "AWS_SESSION_TOKEN": None, "AWS_SECURITY_TOKEN": None})
        assert audit.returncode == 0, audit.stderr
        assert any(f["status"] == "FAIL" for f in json.loads(out.read_text())["findings"])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, proc.stderr.read()


def test_a_port_in_use_is_a_one_line_error_not_a_hang():
    import socket

    from click.testing import CliRunner

    from opsctl.cli import cli

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["sandbox", "up", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"opsctl: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                     "pick another port, or leave --port out for a free one")
