"""The informer's loop (list, watch, bookmarks, re-watch, 410, outages, relist) against an
in-memory apiserver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_apiserver import FakeApiserver

from baremetal_lb.kube.backoff import Backoff
from baremetal_lb.kube.informer import Informer


def eventually(probe: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any, Any]] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, type_: str, key: str, old: Any, new: Any) -> None:
        with self.lock:
            self.events.append((type_, key, old, new))
            self.threads.add(threading.current_thread().name)

    def summary(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(t, k) for t, k, _, _ in self.events]

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            taken = [(t, k) for t, k, _, _ in self.events]
            self.events.clear()
            return taken


@pytest.fixture
def server() -> FakeApiserver:
    server = FakeApiserver()
    for n in range(5):
        server.put(f"cm{n}", str(n))
    return server


@pytest.fixture
def running(server: FakeApiserver) -> Iterator[tuple[Informer[dict[str, Any]], Recorder]]:
    recorder = Recorder()
    informer: Informer[dict[str, Any]] = Informer(
        server, "/api/v1/namespaces/ns/configmaps", name="cms",  # type: ignore[arg-type]
        on_event=recorder, page_size=2, backoff=Backoff(initial=0.01, cap=0.05))
    informer.start()
    assert informer.wait_synced(5)
    yield informer, recorder
    informer.stop()


def test_initial_paged_list_then_watch_events_in_order(server: FakeApiserver,
                                                       running: Any) -> None:
    informer, recorder = running
    assert recorder.take() == [("ADDED", f"ns/cm{n}") for n in range(5)]
    assert server.lists == 3, "5 objects in pages of 2"
    assert server.watches == ["105"]
    server.put("cm1", "changed")
    server.delete("cm2")
    server.put("new", "x")
    assert eventually(lambda: len(recorder.summary()) == 3)
    assert recorder.take() == [("MODIFIED", "ns/cm1"), ("DELETED", "ns/cm2"), ("ADDED", "ns/new")]
    assert recorder.threads == {"informer-cms"}
    assert informer.get("ns/cm1")["data"] == {"v": "changed"}
    assert informer.get("ns/cm2") is None
    assert len(informer.items()) == 5


def test_objects_are_stored_without_managed_fields_and_with_kind(running: Any) -> None:
    informer, _ = running
    stored = informer.get("ns/cm0")
    assert "managedFields" not in stored["metadata"]
    assert (stored["kind"], stored["apiVersion"]) == ("ConfigMap", "v1")


def test_transform_is_applied_to_every_object(server: FakeApiserver) -> None:
    recorder = Recorder()
    informer: Informer[str] = Informer(
        server, "/api/v1/namespaces/ns/configmaps", name="slim",  # type: ignore[arg-type]
        on_event=recorder, transform=lambda obj: obj["data"]["v"])
    informer.start()
    try:
        assert informer.wait_synced(5)
        server.put("cm0", "zero")
        assert eventually(lambda: informer.get("ns/cm0") == "zero")
        assert recorder.events[-1] == ("MODIFIED", "ns/cm0", "0", "zero")
    finally:
        informer.stop()


def test_bookmarks_advance_the_resource_version_for_the_next_watch(
        server: FakeApiserver, running: Any) -> None:
    informer, recorder = running
    server.bookmark()
    assert eventually(lambda: informer.resource_version == "106")
    server.drop_connections()        # the apiserver ends the watch (timeoutSeconds)
    assert eventually(lambda: server.watches[-1:] == ["106"])
    assert recorder.take()[5:] == []


def test_outage_resumes_from_the_last_resource_version_without_loss_or_repeat(
        server: FakeApiserver, running: Any) -> None:
    informer, recorder = running
    recorder.take()
    server.down = True
    server.drop_connections()
    server.put("cm0", "while-down")     # history keeps it: the re-watch replays it
    server.delete("cm4")
    time.sleep(0.1)                     # several failed retries
    lists_before = server.lists
    server.down = False
    assert eventually(lambda: len(recorder.summary()) == 2)
    time.sleep(0.1)
    assert recorder.take() == [("MODIFIED", "ns/cm0"), ("DELETED", "ns/cm4")]
    assert server.lists == lists_before, "a resumable watch needs no re-list"
    assert "105" in server.watches[1:]


def test_410_relists_and_emits_exactly_the_differences(server: FakeApiserver,
                                                       running: Any) -> None:
    informer, recorder = running
    recorder.take()
    server.down = True
    server.drop_connections()
    server.put("cm0", "changed")
    server.delete("cm1")
    server.put("cm9", "new")
    server.put("cm9", "newer")
    server.compact()                    # the history the informer needs is gone
    server.down = False
    assert eventually(lambda: len(recorder.summary()) >= 3)
    time.sleep(0.1)
    assert recorder.take() == [("DELETED", "ns/cm1"), ("MODIFIED", "ns/cm0"),
                               ("ADDED", "ns/cm9")]
    assert informer.get("ns/cm9")["data"] == {"v": "newer"}
    server.put("cm3", "after")
    assert eventually(lambda: recorder.summary() == [("MODIFIED", "ns/cm3")])


def test_relist_is_synchronous_and_finds_lost_events(server: FakeApiserver,
                                                     running: Any) -> None:
    informer, recorder = running
    recorder.take()
    server.put("cm2", "silent", notify=False)
    server.delete("cm3", notify=False)
    informer.relist()
    assert recorder.take() == [("DELETED", "ns/cm3"), ("MODIFIED", "ns/cm2")]
    assert recorder.threads == {"informer-cms"}, "relist emits on the informer thread"
    informer.relist()
    assert recorder.take() == []


def test_a_failing_callback_does_not_stop_the_informer(server: FakeApiserver) -> None:
    seen: list[str] = []

    def on_event(type_: str, key: str, old: Any, new: Any) -> None:
        seen.append(key)
        if key == "ns/cm1":
            raise RuntimeError("bug in the consumer")

    informer: Informer[dict[str, Any]] = Informer(
        server, "/p", name="x", on_event=on_event)  # type: ignore[arg-type]
    informer.start()
    try:
        assert informer.wait_synced(5)
        server.put("late", "1")
        assert eventually(lambda: "ns/late" in seen)
    finally:
        informer.stop()


def test_relist_without_a_running_thread_runs_inline(server: FakeApiserver) -> None:
    recorder = Recorder()
    informer: Informer[dict[str, Any]] = Informer(
        server, "/p", name="x", on_event=recorder)  # type: ignore[arg-type]
    informer.relist()
    assert len(recorder.take()) == 5 and informer.has_synced
