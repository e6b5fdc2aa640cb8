"""The controller's per-Service decision, without an apiserver."""

from __future__ import annotations

import ipaddress
from typing import Any

from baremetal_lb.allocator import Pool
from baremetal_lb.controller.decide import ServiceDecider

POOL = Pool("web", ((ipaddress.ip_address("203.0.113.10"), ipaddress.ip_address("203.0.113.11")),))


def svc(name: str, *, ips: tuple[str, ...] = (), rv: str = "1", created: str = "2026-01-01T00:00:00Z",
        annotations: dict[str, str] | None = None, type_: str = "LoadBalancer") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "apps", "uid": name, "resourceVersion": rv,
                     "creationTimestamp": created, "labels": {}, "annotations": annotations or {}},
        "spec": {"type": type_, "ports": [{"port": 80, "protocol": "TCP"}], "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack", "selector": {"app": name}},
        "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}},
    }


def decider() -> ServiceDecider:
    d = ServiceDecider(lb_class=None, claim_unclassed=True)
    d.set_pools([POOL])
    return d


def test_new_service_gets_a_write_and_an_event_once() -> None:
    d = decider()
    first = d.decide("apps/a", svc("a"), {})
    assert first.write == ("203.0.113.10",) and first.event and first.event.reason == "IPAllocated"
    # The watch has not shown our write yet: the same stale object must not cause a 2nd write.
    assert d.decide("apps/a", svc("a"), {}).write is None
    # Our write came back.
    assert d.decide("apps/a", svc("a", ips=("203.0.113.10",), rv="2"), {}).write is None


def test_failed_write_is_retried() -> None:
    d = decider()
    assert d.decide("apps/a", svc("a"), {}).write
    d.write_failed("apps/a")
    assert d.decide("apps/a", svc("a"), {}).write == ("203.0.113.10",)


def test_failure_is_reported_once_and_clears_a_shown_ip() -> None:
    d = decider()
    d.decide("apps/a", svc("a"), {})
    d.decide("apps/b", svc("b"), {})
    third = d.decide("apps/c", svc("c", ips=("198.51.100.7",)), {})
    assert third.failure == "PoolExhausted" and third.write == ()
    assert third.event and third.event.type == "Warning"
    again = d.decide("apps/c", svc("c"), {})
    assert again.event is None and again.failure is None and again.write is None
    assert d.failed_keys() == ["apps/c"]


def test_restart_claims_shown_ips_oldest_first() -> None:
    d = decider()
    older = svc("old", ips=("203.0.113.11",), created="2026-01-01T00:00:00Z")
    newer = svc("new", ips=("203.0.113.11",), created="2026-02-01T00:00:00Z")
    assert d.claim_existing([newer, older], {}) == 1
    assert str(d.assignment("apps/old").ips[0]) == "203.0.113.11"  # type: ignore[union-attr]
    assert d.assignment("apps/new") is None
    moved = d.decide("apps/new", newer, {})
    assert moved.write == ("203.0.113.10",)


def test_a_bad_annotation_keeps_a_working_ip() -> None:
    d = decider()
    d.decide("apps/a", svc("a"), {})
    bad = svc("a", ips=("203.0.113.10",), rv="2", annotations={"metallb.io/loadBalancerIPs": "nope"})
    decision = d.decide("apps/a", bad, {})
    assert decision.write is None and decision.failure == "InvalidRequest"
    assert d.assignment("apps/a") is not None


def test_a_service_that_stops_being_a_loadbalancer_is_released() -> None:
    d = decider()
    d.decide("apps/a", svc("a"), {})
    gone = d.decide("apps/a", svc("a", ips=("203.0.113.10",), rv="2", type_="ClusterIP"), {})
    assert gone.write == ()
    assert d.assignment("apps/a") is None
    assert d.decide("apps/b", svc("b"), {}).write == ("203.0.113.10",)


def test_deleted_service_frees_its_ip() -> None:
    d = decider()
    d.decide("apps/a", svc("a"), {})
    d.decide("apps/a", None, {})
    assert d.usage()["web"].assigned_v4 == 0
