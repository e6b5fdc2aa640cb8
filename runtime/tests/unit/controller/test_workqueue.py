"""The work queue's guarantees: one entry per key, never one key in two workers."""

from __future__ import annotations

import threading
import time

from baremetal_lb.controller.workqueue import WorkQueue


def test_a_key_is_queued_once_however_often_it_is_added() -> None:
    q = WorkQueue()
    for _ in range(5):
        q.add("ns/a")
    q.add("ns/b")
    assert [q.get(0), q.get(0), q.get(0)] == ["ns/a", "ns/b", None]


def test_a_key_added_while_processing_comes_back_after_done() -> None:
    q = WorkQueue()
    q.add("ns/a")
    assert q.get(0) == "ns/a"
    q.add("ns/a")
    assert q.get(0) is None, "handed to a second worker while the first still works on it"
    q.done("ns/a")
    assert q.get(0) == "ns/a"
    q.done("ns/a")
    assert q.idle()


def test_add_after_delays_the_key() -> None:
    q = WorkQueue()
    q.add_after("ns/a", 0.2)
    assert q.get(0.05) is None
    started = time.monotonic()
    assert q.get(1.0) == "ns/a"
    assert time.monotonic() - started < 0.5


def test_close_wakes_waiting_workers() -> None:
    q = WorkQueue()
    got: list[str | None] = []
    worker = threading.Thread(target=lambda: got.append(q.get()))
    worker.start()
    q.close()
    worker.join(2)
    assert got == [None]


def test_clear_drops_queued_and_delayed_keys() -> None:
    q = WorkQueue()
    q.add("ns/a")
    q.add_after("ns/b", 0.01)
    q.clear()
    assert q.get(0.05) is None
    assert q.idle()


def test_retries_of_a_failing_key_back_off_until_it_is_forgotten() -> None:
    q = WorkQueue()
    assert [q.retry("ns/a", 1.0) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert q.retry("ns/b", 0.05) == 0.05, "each key has its own count"
    q.forget("ns/a")
    assert q.retry("ns/a", 1.0) == 1.0
