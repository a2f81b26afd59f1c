"""A scripted HTTP server on 127.0.0.1 that records every request, and a fake clock.

``RecordedServer`` answers each path from a script of :class:`Scripted` responses (status,
headers, body, a delay before answering, a body cut short, chunked or gzip framing), or from a
handler function, and records each request's path, query, headers and arrival time, so tests can
assert on paging parameters and pacing. ``FakeClock`` is the injectable clock of
``vulndesk.core.feeds.http``: ``sleep`` advances time instantly; giving the server
``clock=fake.monotonic`` stamps requests in fake time.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

START = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock whose ``sleep`` returns at once and moves time forward."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += max(0.0, seconds)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)


@dataclass(frozen=True)
class Scripted:
    """One scripted answer; ``truncate`` sends only that many body bytes, then hangs up."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: int | None = None
    chunked: bool = False
    gzip: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    time: float

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[RecordedRequest], Scripted]


class RecordedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering from scripts (see the module docstring).

    ``script(path, *responses)`` queues answers for a path; the last one repeats once the others
    are used. ``route(path, handler)`` answers from a function of the request instead. Anything
    else answers 404.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.requests: list[RecordedRequest] = []
        self._scripts: dict[str, list[Scripted]] = {}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, path: str, *responses: Scripted) -> None:
        with self._lock:
            self._scripts.setdefault(path, []).extend(responses)

    def route(self, path: str, handler: Handler) -> None:
        self._handlers[path] = handler

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def answer(self, request: RecordedRequest) -> Scripted:
        with self._lock:
            self.requests.append(request)
            queue = self._scripts.get(request.path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        handler = self._handlers.get(request.path)
        if handler is not None:
            return handler(request)
        return Scripted(404, b"no script for " + request.path.encode())


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_handler(server: RecordedServer) -> type[BaseHTTPRequestHandler]:
    class ScriptedHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method="GET",
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                time=server.clock(),
            )
            reply = server.answer(request)
            try:
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, reply: Scripted) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            body = gzip.compress(reply.body) if reply.gzip else reply.body
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.gzip:
                self.send_header("Content-Encoding", "gzip")
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if reply.status == 304:
                return
            sent = body if reply.truncate is None else body[: reply.truncate]
            if reply.chunked:
                for start in range(0, len(sent), 1000):
                    piece = sent[start : start + 1000]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                if reply.truncate is None:
                    self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(sent)
            self.wfile.flush()
            if reply.truncate is not None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ScriptedHandler
