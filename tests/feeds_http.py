"""A real HTTP server on 127.0.0.1 for feed tests: a folder, plus scripted misbehaviour.

``FeedServer(root, mount="/ot/")`` serves the files under ``root`` at ``/ot/...`` (HTTP/1.1,
keep-alive, ``Content-Length`` always set). ``put`` replaces what one path answers, for every
request; ``script`` queues one-off replies for a path (the next request takes the first; when the
queue is empty the path answers normally again). A :class:`Reply` can be any status with any
headers (``Retry-After``, ``Location``), a body shorter than the ``Content-Length`` it declares
(the connection is then closed: a truncated download), or come after a delay (a timeout).
``requests`` lists the paths asked for, in order.

Use it as a context manager::

    with FeedServer(folder, mount="/ot/") as server:
        httpx.get(server.url + "/ot/index.txt")
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit


@dataclass
class Reply:
    """One scripted answer. ``declared_length`` larger than the body makes a truncated reply."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None
    delay: float = 0.0


class LoopbackServer:
    """A threaded HTTP server on an ephemeral loopback port, serving with ``handler``; started
    and stopped as a context manager. ``base`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        # a short poll interval: shutdown() waits for the loop to notice, 0.5 s by default
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        host, port = self._server.server_address[:2]
        self.base = f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class FeedServer(LoopbackServer):
    """A threaded HTTP server on an ephemeral loopback port (see the module docstring)."""

    def __init__(self, root: Path | None = None, *, mount: str = "/") -> None:
        self.root = root
        self.mount = "/" + mount.strip("/") + "/" if mount.strip("/") else "/"
        self.requests: list[str] = []
        self._fixed: dict[str, Reply] = {}
        self._queued: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        super().__init__(self._handler_class())
        self.url = self.base

    def put(self, path: str, body: bytes, *, status: int = 200, **headers: str) -> None:
        """Make ``path`` answer ``body`` (with ``status`` and ``headers``) from now on."""
        with self._lock:
            self._fixed[path] = Reply(status, body, dict(headers))

    def script(self, path: str, *replies: Reply) -> None:
        """Queue one-off ``replies`` for the next requests of ``path``."""
        with self._lock:
            self._queued.setdefault(path, deque()).extend(replies)

    def count(self, suffix: str) -> int:
        """Return how many requests so far asked for a path ending in ``suffix``."""
        with self._lock:
            return sum(1 for path in self.requests if path.endswith(suffix))

    def _reply(self, path: str) -> Reply:
        with self._lock:
            self.requests.append(path)
            queue = self._queued.get(path)
            if queue:
                return queue.popleft()
            if path in self._fixed:
                return self._fixed[path]
        return self._file(path)

    def _file(self, path: str) -> Reply:
        if self.root is None or not path.startswith(self.mount):
            return Reply(404, b"not found")
        relative = path[len(self.mount) :]
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            return Reply(404, b"not found")
        kind = "application/json" if target.suffix == ".json" else "text/plain"
        return Reply(200, target.read_bytes(), {"Content-Type": kind})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK cost 40 ms per request
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                reply = server._reply(unquote(urlsplit(self.path).path))
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                length = len(reply.body) if reply.declared_length is None else reply.declared_length
                self.send_header("Content-Length", str(length))
                if length != len(reply.body):
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler
