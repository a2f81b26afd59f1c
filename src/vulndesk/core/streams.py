"""Reading a stream ahead of its consumer, in a thread.

An import spends part of its time waiting on the database (a ``COPY``, an index lookup) with
the interpreter idle; a thread that reads and parses the next records meanwhile turns that wait
into work. Measured on an NVD import (docs/architecture.md, "Import throughput").
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()


def read_ahead[T](items: Iterable[T], *, chunk: int = 500, depth: int = 4) -> Iterator[T]:
    """Yield the items of ``items`` in order, read by a thread at most ``depth`` chunks of
    ``chunk`` items ahead of the consumer (memory stays bounded).

    An exception raised while reading is raised here, where the consumer would have met it,
    after the items before it. A consumer that stops early (``close()``, an exception) stops
    the thread and closes ``items``' iterator before this returns.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopping = threading.Event()

    def put(value: object) -> bool:
        while not stopping.is_set():
            try:
                handoff.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        source = iter(items)
        part: list[T] = []
        try:
            for item in source:
                part.append(item)
                if len(part) == chunk:
                    if not put(part):
                        return
                    part = []
            if put(part):
                put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            if put(part):
                put(exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="vulndesk-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            part = handoff.get()
            if part is _DONE:
                return
            if isinstance(part, BaseException):
                raise part
            yield from part  # type: ignore[misc]
    finally:
        stopping.set()
        reader.join()
