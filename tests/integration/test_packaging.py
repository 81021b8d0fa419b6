"""`pip install .` (not editable) yields a working opsctl with every check and runbook.

Builds a wheel from the checkout and installs it into a fresh venv outside it. No network:
the wheel is built without isolation and installed without dependencies; the fresh venv sees
this environment's third-party packages through a .pth line (which adds a path but does not run
the editable-install hook, so opsctl can only come from the wheel).
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from opsctl.registry import load_builtin_checks

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_wheel_installs_and_runs_outside_checkout(tmp_path):
    wheel_dir = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheel_dir.glob("opsctl-*.whl")

    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    fresh_site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet", str(wheel)],
                             capture_output=True, text=True, cwd=tmp_path)
    if install.returncode != 0 and "no such option: --python" in install.stderr:
        install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(fresh_site), str(wheel)],
                                 capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stderr

    where = subprocess.run([py, "-c", "import opsctl, opsctl.checks; print(opsctl.__file__); print(opsctl.checks.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout.split()
    assert all(str(fresh_site) in w for w in where), f"opsctl imported from {where}, not the wheel"

    opsctl = env_dir / "bin" / "opsctl"
    listed = subprocess.run([opsctl, "checks", "list", "--format", "json"], capture_output=True, text=True, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    ids = {c["id"] for c in json.loads(listed.stdout)["checks"]}
    assert ids == set(load_builtin_checks())

    for check_id in sorted(ids):
        assert (fresh_site / "opsctl" / "runbooks" / f"{check_id}.md").is_file(), f"runbook of {check_id} not shipped"
    explained = subprocess.run([opsctl, "explain", "--raw", sorted(ids)[0]], capture_output=True, text=True, cwd=tmp_path)
    assert explained.returncode == 0 and "## How to fix" in explained.stdout
