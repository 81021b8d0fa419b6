"""Drive a real headless Chromium from tests, with the standard library only.

Chromium's ``--remote-debugging-pipe`` speaks the DevTools protocol over file descriptors 3
(commands in) and 4 (replies and events out), as NUL-terminated JSON — no websocket, no port, no
extra package. :class:`Browser` opens a page, records every console error, uncaught exception
and log entry of level error (CSP violations, failed loads), and evaluates JavaScript.

``make test`` and ``.ci/run`` install Debian's ``chromium``; :func:`find_chromium` returns None
when it is absent, and the tests that need it are skipped saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 60.0  # a cap for a hung browser, not a timing assertion


def find_chromium() -> str | None:
    explicit = os.environ.get("OPSCTL_TEST_CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page. Use as a context manager."""

    def __init__(self, executable: str):
        self.executable = executable
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Condition()
        self.errors: list[str] = []  # console errors, exceptions, error log entries
        self.session: str | None = None

    # --- process ------------------------------------------------------------------------------
    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="opsctl-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands; chromium reads fd 3
        out_r, out_w = os.pipe()  # chromium writes fd 4; we read

        def child_fds() -> None:  # runs in the child before exec
            a, b = os.dup(cmd_r), os.dup(out_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
                "--mute-audio", "--remote-debugging-pipe", f"--user-data-dir={self._profile}", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     pass_fds=(3, 4), preexec_fn=child_fds, close_fds=True)
        os.close(cmd_r)
        os.close(out_w)
        self._out = os.fdopen(cmd_w, "wb", buffering=0)
        self._in = os.fdopen(out_r, "rb", buffering=0)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", {}, session=self.session)
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(BrowserError, OSError):  # best effort; the process is killed below anyway
            self.call("Browser.close", {}, timeout=10)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self._out, self._in):
            with contextlib.suppress(OSError):
                f.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    # --- protocol -----------------------------------------------------------------------------
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self._in.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        self._replies[msg["id"]] = msg
                        self._lock.notify_all()
                else:
                    self._on_event(msg)

    def _on_event(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            e = params["entry"]
            self.errors.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}".strip())
        self._events.put(msg)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = TIMEOUT) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            mid = self._next_id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._out.write(json.dumps(msg).encode() + b"\0")
        with self._lock:
            if not self._lock.wait_for(lambda: mid in self._replies or getattr(self, "_closed", False), timeout=timeout):
                raise BrowserError(f"no reply to {method} (stderr: {b''.join(self._stderr)[-2000:]!r})")
            reply = self._replies.pop(mid, None)
        if reply is None:
            raise BrowserError(f"browser exited during {method} (stderr: {b''.join(self._stderr)[-2000:]!r})")
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} event")
            try:
                msg = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if msg.get("method") == method:
                return msg.get("params", {})

    # --- page ---------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        """Load `url` afresh (even when only its #fragment differs from the current page's) and wait
        for the load event."""
        for target in ("about:blank", url):
            while not self._events.empty():  # drop earlier events
                self._events.get_nowait()
            reply = self.call("Page.navigate", {"url": target}, session=self.session)
            if reply.get("errorText"):
                raise BrowserError(f"cannot open {target}: {reply['errorText']}")
            if reply.get("loaderId"):  # a new document: wait until it has loaded
                self.wait_event("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                          session=self.session)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression}: {reply['exceptionDetails']}")
        return reply.get("result", {}).get("value")
