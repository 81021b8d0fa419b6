"""A loopback HTTP forwarding proxy that adds a fixed latency to every call, for benchmarks.

Point boto3 (or `opsctl`) at it with AWS_ENDPOINT_URL=proxy.url: each request is held for
`latency` seconds, then forwarded unchanged (method, path, headers, body) to the upstream
endpoint (the sandbox's moto server) and its response relayed back. Keep-alive connections are
kept on both sides, so the latency is the only cost it adds, as a far-away AWS endpoint's would be.

It counts what it serves: `calls`, the peak number of requests in flight, and the summed time
requests spent in it (÷ wall = mean concurrency).

    with LatencyProxy("http://127.0.0.1:5000", latency=0.05) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: Headers that belong to one hop, never forwarded (Content-Length is set again from the body).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "expect", "content-length"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: botocore opens up to max_pool_connections sockets at once: a short listen backlog drops SYNs,
    #: and each drop costs a 1 s retransmit, which would be measured as "latency".
    request_queue_size = 256
    proxy: LatencyProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def _upstream(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self, "_conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            proxy = self.server.proxy
            conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=120)
            self._conn = conn
        return conn

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _forward(self) -> None:
        body = self._read_body()
        proxy = self.server.proxy
        started = proxy._enter()
        try:
            time.sleep(proxy.latency)
            for attempt in (0, 1):  # a kept-alive upstream socket the server closed: reconnect once
                conn = self._upstream(fresh=attempt == 1)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in HOP_BY_HOP:
                            conn.putheader(name, value)
                    if body is not None or self.command in ("POST", "PUT", "PATCH"):
                        conn.putheader("Content-Length", str(len(body or b"")))
                    conn.endheaders(body)
                    response = conn.getresponse()
                    data = response.read()
                    break
                except (http.client.HTTPException, OSError):
                    if attempt:
                        raise
        finally:
            proxy._leave(started)
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if self.command == "HEAD":
            length = response.getheader("Content-Length")
            if length is not None:
                self.send_header("Content-Length", length)
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward


class LatencyProxy:
    """A threaded forwarding proxy on 127.0.0.1 (a free port) adding `latency` seconds to each call."""

    def __init__(self, upstream: str, latency: float) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.latency = latency
        self.calls = 0
        self.peak_in_flight = 0
        self.busy_seconds = 0.0  # summed time requests spent in the proxy
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        with self._lock:
            self.calls, self.peak_in_flight, self.busy_seconds = 0, 0, 0.0

    def _enter(self) -> float:
        with self._lock:
            self.calls += 1
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        return time.perf_counter()

    def _leave(self, started: float) -> None:
        with self._lock:
            self._in_flight -= 1
            self.busy_seconds += time.perf_counter() - started

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
