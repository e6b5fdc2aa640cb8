"""The speaker's /healthz reflects its worker threads: a dead heartbeat thread fails it with a
message naming the thread; a heartbeat pass that fails does not end the thread; a speaker
whose heartbeats stop counts itself out; the ServiceL2Status writer survives any exception.
Sockets are faked at the boundary (a loopback UDP socket stands in for the LAN's)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from baremetal_lb.kube import ApiError
from baremetal_lb.liveness import service as heartbeat_module
from baremetal_lb.metrics import MetricsServer, SpeakerMetrics
from baremetal_lb.net.links import Link
from baremetal_lb.speaker import Layer2Options, Speaker, SpeakerOptions
from baremetal_lb.speaker.layer2 import Layer2, live_members
from baremetal_lb.speaker.status import StatusWriter

ETH0 = Link(2, "eth0", b"\x02\x00\x00\x00\x00\x01", 0x1 | 0x10000,
            (ipaddress.IPv4Interface("198.51.100.11/24"),))
KEY = b"k" * 32


class Crash(BaseException):
    """What no `except Exception` catches: the thread ends (as on a bug in the loop itself)."""


class FakeApi:
    def __init__(self, fail: list[BaseException] | None = None) -> None:
        self.observer: Any = None
        self.fail = list(fail or [])
        self.applied: list[str] = []
        self.wrote = threading.Event()

    def resource_for(self, api_version: str, kind: str) -> tuple[str, bool]:
        return "servicel2statuses", True

    def request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        if self.fail:
            raise self.fail.pop(0)
        self.applied.append(path)
        if path.endswith("/status"):
            self.wrote.set()
        return {}


@pytest.fixture
def udp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats on a loopback UDP socket instead of a broadcast one bound to the LAN."""
    def open_socket(interface: str, port: int, family: int) -> tuple[socket.socket,
                                                                     tuple[str, int]]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        return sock, sock.getsockname()
    monkeypatch.setattr(heartbeat_module, "open_socket", open_socket)


@pytest.fixture
def speaker(udp: None) -> Iterator[Speaker]:
    options = SpeakerOptions(node="node1", namespace="lb",
                             layer2=Layer2Options(keys={1: KEY}, hold=0.35))
    spk = Speaker(FakeApi(), options, SpeakerMetrics())  # type: ignore[arg-type]
    spk.protocols[0].start({"eth0": ETH0})
    yield spk
    for protocol in spk.protocols:
        protocol.stop()


def layer2(speaker: Speaker) -> Layer2:
    protocol = speaker.protocols[0]
    assert isinstance(protocol, Layer2)
    return protocol


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_heartbeat_thread_fails_healthz_naming_it(speaker: Speaker) -> None:
    server = MetricsServer("127.0.0.1:0", speaker.metrics.registry, speaker.healthy,
                           lambda: (True, "ready"))
    server.start()
    try:
        assert get(server.port, "/healthz") == (200, "ok\n")
        heartbeats = layer2(speaker)._heartbeats["eth0"]

        def crash(next_send: float) -> float:
            raise Crash("a bug in the heartbeat loop")

        heartbeats._step = crash  # type: ignore[method-assign]
        heartbeats._thread.join(5)
        assert not heartbeats._thread.is_alive()
        code, body = get(server.port, "/healthz")
        assert code == 503 and "heartbeats on eth0: thread died" in body
        assert speaker.healthy() == (False, "heartbeats on eth0: thread died")
    finally:
        server.stop()


def test_a_failing_heartbeat_pass_does_not_end_the_thread(speaker: Speaker) -> None:
    heartbeats = layer2(speaker)._heartbeats["eth0"]
    assert heartbeats.sending()

    def fail(next_send: float) -> float:
        raise OSError(9, "Bad file descriptor")

    heartbeats._step = fail  # type: ignore[method-assign]
    time.sleep(0.6)                  # longer than the hold time (0.35 s)
    assert heartbeats._thread.is_alive()
    assert not heartbeats.sending(), "peers no longer hear us: we must know it"
    assert speaker.healthy()[0], "failing for less than the grace is not yet a restart"
    del heartbeats._step             # the cause goes away
    time.sleep(0.3)
    assert heartbeats.sending()


class Beats:
    def __init__(self, members: set[str], sending: bool) -> None:
        self.members, self.up = frozenset(members), sending

    def alive(self) -> frozenset[str]:
        return self.members

    def sending(self) -> bool:
        return self.up


def test_a_speaker_whose_heartbeats_stop_counts_itself_out() -> None:
    heartbeats = {"eth0": Beats({"node1", "node2"}, sending=False),
                  "eth1": Beats({"node1", "node3"}, sending=True)}
    assert live_members(heartbeats, "node1") == {"eth0": frozenset({"node2"}),
                                                 "eth1": frozenset({"node1", "node3"})}


def service(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "apps", "uid": f"u-{name}"}}


def test_the_status_writer_survives_any_exception_and_counts_it() -> None:
    api = FakeApi(fail=[TypeError("a bug"), ApiError(403, "Forbidden", "no")])
    metrics = SpeakerMetrics()
    writer = StatusWriter(api, "node1", metrics)  # type: ignore[arg-type]
    try:
        writer.owned(service("a"), "eth0")      # TypeError
        writer.owned(service("b"), "eth0")      # 403
        writer.owned({"metadata": {}}, "eth0")  # a Service without a name: KeyError
        writer.owned(service("c"), "eth0")      # lands
        assert api.wrote.wait(5), "the writer died before the last write"
        assert writer.health.problem() is None
        get_value = metrics.registry.get_sample_value
        name = "baremetal_lb_speaker_l2_status_write_failures_total"
        assert get_value(name, {"reason": "unexpected"}) == 2
        assert get_value(name, {"reason": "api"}) == 1
        assert api.applied[-1].endswith("/namespaces/apps/servicel2statuses/c/status")
    finally:
        writer.stop()
