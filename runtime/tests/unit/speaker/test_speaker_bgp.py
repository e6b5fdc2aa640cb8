"""The BGP protocol: Balancers -> this node's BgpConfig -> the engine, only when it changed."""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

import pytest

from baremetal_lb.bgp.engine import BgpEngineError, PeerState
from baremetal_lb.bgp.model import BgpConfig
from baremetal_lb.config import config_for
from baremetal_lb.metrics import SpeakerMetrics
from baremetal_lb.net.links import Link
from baremetal_lb.speaker import bgp
from baremetal_lb.speaker.balancers import Inputs, NodeInfo, balancers
from baremetal_lb.speaker.protocol import Context

LAN = Link(2, "eth0", b"\x02\x00\x00\x00\x00\x01", 0x1 | 0x10000,
           (ipaddress.IPv4Interface("198.51.100.11/24"),))
CONFIG = config_for(
    pools=[{"metadata": {"name": "bgp"}, "spec": {"addresses": ["203.0.113.240/29"]}}],
    bgp_advertisements=[{"metadata": {"name": "all"}, "spec": {}}],
    peers=[{"metadata": {"name": "router"},
            "spec": {"myASN": 64513, "peerASN": 64512, "peerAddress": "198.51.100.1"}}])


class FakeEngine:
    def __init__(self) -> None:
        self.applied: list[BgpConfig] = []
        self.refuse = False

    def apply(self, config: BgpConfig) -> None:
        if self.refuse:
            raise BgpEngineError("bgpd refused")
        self.applied.append(config)

    def peer_states(self) -> dict[str, PeerState]:
        return {}

    def healths(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


def svc(name: str, ip: str, local: bool) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "apps"},
            "spec": {"type": "LoadBalancer",
                     "externalTrafficPolicy": "Local" if local else "Cluster"},
            "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


def inputs(ready: bool = True) -> Inputs:
    services = [svc("here", "203.0.113.241", True), svc("elsewhere", "203.0.113.242", True),
                svc("cluster", "203.0.113.243", False)]
    endpoints = {"apps/here": frozenset({"node1"}), "apps/elsewhere": frozenset({"node2"}),
                 "apps/cluster": frozenset({"node2"})}
    return Inputs("node1", CONFIG, balancers(CONFIG, services, endpoints, None, True),
                  [NodeInfo("node1", {}, ready)], {"eth0": LAN})


@pytest.fixture()
def protocol() -> tuple[bgp.Bgp, FakeEngine, list[tuple[str, ...]], threading.Event]:
    engine, events, triggered = FakeEngine(), [], threading.Event()
    context = Context("node1", SpeakerMetrics(), lambda *e: events.append(e),
                      lambda key: None, triggered.set)
    return bgp.Bgp(engine, context), engine, events, triggered


def test_announces_what_this_node_serves_once(protocol: Any) -> None:
    speaker, engine, events, _ = protocol
    assert speaker.announce(inputs()) == []
    (config,) = engine.applied
    assert [str(a.prefix) for a in config.announcements] == ["203.0.113.241/32",
                                                             "203.0.113.243/32"]
    assert str(config.router_id) == "198.51.100.11"
    assert sorted(e[0] for e in events) == ["apps/cluster", "apps/here"]
    assert all(e[1:3] == ("Normal", "nodeAssigned") for e in events)
    speaker.announce(inputs())
    assert len(engine.applied) == 1          # nothing changed: the engine is not called


def test_a_node_not_ready_keeps_its_sessions_and_announces_nothing(protocol: Any) -> None:
    speaker, engine, _, _ = protocol
    speaker.announce(inputs(ready=False))
    (config,) = engine.applied
    assert [p.name for p in config.peers] == ["router"] and config.announcements == ()


def test_a_refused_apply_is_retried(monkeypatch: Any) -> None:
    monkeypatch.setattr(bgp, "RETRY_SECONDS", 0.01)
    engine, triggered, now = FakeEngine(), threading.Event(), [0.0]
    context = Context("node1", SpeakerMetrics(), lambda *e: None, lambda key: None,
                      triggered.set)
    speaker = bgp.Bgp(engine, context, clock=lambda: now[0])
    engine.refuse = True
    speaker.announce(inputs())
    assert triggered.wait(2) and engine.applied == []
    engine.refuse = False
    now[0] += 1
    speaker.announce(inputs())
    assert len(engine.applied) == 1


def test_a_daemon_that_keeps_refusing_is_retried_ever_more_slowly() -> None:
    engine, now = FakeEngine(), [0.0]
    context = Context("node1", SpeakerMetrics(), lambda *e: None, lambda key: None,
                      lambda: None)
    speaker = bgp.Bgp(engine, context, clock=lambda: now[0])
    attempts = []
    original = engine.apply

    def apply(config: BgpConfig) -> None:
        attempts.append(now[0])
        original(config)

    engine.apply = apply  # type: ignore[method-assign]
    engine.refuse = True
    for _ in range(600):            # ten minutes of reconciles, one a second
        speaker.announce(inputs())
        now[0] += 1
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert len(attempts) < 25, f"{len(attempts)} applies (each may be an frr-reload.py)"
    assert gaps[0] <= 3 and max(gaps) >= 45
    engine.refuse = False
    speaker.announce(inputs(ready=False))   # a new config is tried at once
    assert attempts[-1] == now[0] and len(engine.applied) == 1
