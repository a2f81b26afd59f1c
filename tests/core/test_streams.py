"""Reading ahead in a thread: order, errors where the consumer meets them, early stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from vulndesk.core.streams import read_ahead


def test_yields_every_item_in_order() -> None:
    assert list(read_ahead(range(10_007), chunk=100, depth=2)) == list(range(10_007))
    assert list(read_ahead([], chunk=3)) == []


def test_reads_in_another_thread_at_most_depth_chunks_ahead() -> None:
    readers: set[str] = set()
    read = 0

    def items() -> Iterator[int]:
        nonlocal read
        for i in range(1000):
            readers.add(threading.current_thread().name)
            read += 1
            yield i

    stream = read_ahead(items(), chunk=10, depth=2)
    assert next(stream) == 0
    # the consumer holds one chunk; two wait in the queue and one is being put: 40 at most
    for _ in range(50):
        if read >= 40:
            break
        threading.Event().wait(0.01)
    assert read <= 40
    assert readers == {"vulndesk-read-ahead"}
    stream.close()


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield from range(25)
        raise ValueError("truncated at byte 1234")

    got: list[int] = []
    with pytest.raises(ValueError, match="truncated at byte 1234"):
        for item in read_ahead(items(), chunk=10):
            got.append(item)
    assert got == list(range(25))


def test_an_early_stop_ends_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    stream = read_ahead(items(), chunk=10, depth=1)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()
    assert closed.is_set()
    assert not any(t.name == "vulndesk-read-ahead" for t in threading.enumerate())


def test_a_consumer_error_stops_the_reader() -> None:
    def consume() -> None:
        for item in read_ahead(range(1_000_000), chunk=10, depth=1):
            if item == 15:
                raise RuntimeError("database refused the batch")

    with pytest.raises(RuntimeError, match="database refused"):
        consume()
    assert not any(t.name == "vulndesk-read-ahead" for t in threading.enumerate())
