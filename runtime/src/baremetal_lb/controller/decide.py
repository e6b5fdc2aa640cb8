"""What to do about one Service: the controller's decision, without any I/O.

`ServiceDecider` owns the allocator and the little memory the decision needs (what we wrote and
have not seen come back yet, the last failure reported per Service). The controller calls it
under one lock and performs the returned `Decision` outside the lock, so allocation stays
serial (no two Services can win one IP) while status writes run in parallel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baremetal_lb.allocator import AllocationError, Allocator, Assignment, Pool, PoolUsage
from baremetal_lb.config import ConfigError, is_ours, service_request

from .status import service_key, status_ips


@dataclass(frozen=True)
class Event:
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Decision:
    key: str
    write: tuple[str, ...] | None = None  # new status IPs (empty: clear), None: no write
    resource_version: str | None = None
    event: Event | None = None
    failure: str | None = None  # an AllocationError reason, for metrics
    allocated: bool = False


@dataclass
class ServiceDecider:
    lb_class: str | None
    claim_unclassed: bool
    allocator: Allocator = field(default_factory=Allocator)
    # key -> (resourceVersion the write was based on, IPs written): until the watch shows our
    # write, the cached Service still has the old status and must not trigger a second write.
    written: dict[str, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def set_pools(self, pools: list[Pool]) -> list[str]:
        return self.allocator.set_pools(pools)

    def usage(self) -> dict[str, PoolUsage]:
        return self.allocator.usage()

    def served(self) -> int:
        """Services holding IPs."""
        return len(self.allocator)

    def failed_keys(self) -> list[str]:
        return list(self.failed)

    def claim_existing(self, services: Iterable[Mapping[str, Any]],
                       namespace_labels: Mapping[str, Mapping[str, str]]) -> int:
        """After a restart or a leadership change: take back the IPs Services already show,
        oldest Service first, before anything new is allocated. Only the IPs they show are
        accepted (a conflicting one is left for the normal reconcile, which reassigns it), so
        one conflict cannot push a new address onto another Service's existing one."""
        kept = 0
        ordered = sorted((s for s in services if status_ips(s) and self._ours(s)),
                         key=lambda s: (s["metadata"].get("creationTimestamp") or "",
                                        service_key(s)))
        for svc in ordered:
            ns = svc["metadata"]["namespace"]
            try:
                request = service_request(svc, namespace_labels.get(ns, {}))
            except ConfigError:
                continue
            if self.allocator.claim(request) is not None:
                kept += 1
        return kept

    def decide(self, key: str, svc: Mapping[str, Any] | None,
               namespace_labels: Mapping[str, str]) -> Decision:
        if svc is None:
            self._forget(key)
            return Decision(key)
        current = tuple(status_ips(svc))
        rv = svc["metadata"].get("resourceVersion")
        if not self._ours(svc):
            had = self.allocator.release(key)
            self._forget(key)
            # The Service stopped being a LoadBalancer: take back the IPs we had written.
            if had is not None and current and _same(current, had.ips):
                return Decision(key, write=(), resource_version=rv)
            return Decision(key)
        try:
            request = service_request(svc, namespace_labels)
        except ConfigError as exc:
            held = self.allocator.assignment(key)
            if held is not None and _same(current, held.ips):
                # Like MetalLB: a typo in an annotation must not take a working IP away.
                return self._report_once(key, "InvalidRequest", str(exc))
            return self._failure(key, svc, current, "InvalidRequest", str(exc))
        try:
            assignment = self.allocator.assign(request)
        except AllocationError as exc:
            return self._failure(key, svc, current, exc.reason, exc.message)
        self.failed.pop(key, None)
        wanted = tuple(str(ip) for ip in assignment.ips)
        if current == wanted or self.written.get(key) == (rv, wanted):
            return Decision(key)
        self.written[key] = (rv, wanted)
        return Decision(key, write=wanted, resource_version=rv, allocated=True,
                        event=Event("Normal", "IPAllocated",
                                    f"Assigned IP {json.dumps(list(wanted))}"
                                    f" from pool {assignment.pool}"))

    def write_failed(self, key: str) -> None:
        """A status write did not land: the next decision must write again."""
        self.written.pop(key, None)

    def assignment(self, key: str) -> Assignment | None:
        return self.allocator.assignment(key)

    # -- internals --------------------------------------------------------------------------

    def _ours(self, svc: Mapping[str, Any]) -> bool:
        return is_ours(svc, self.lb_class, self.claim_unclassed)

    def _forget(self, key: str) -> None:
        self.allocator.release(key)
        self.written.pop(key, None)
        self.failed.pop(key, None)

    def _report_once(self, key: str, reason: str, message: str) -> Decision:
        if self.failed.get(key) == message:
            return Decision(key)
        self.failed[key] = message
        return Decision(key, failure=reason,
                        event=Event("Warning", "AllocationFailed",
                                    f"Failed to allocate IP for {key}: {reason}: {message}"
                                    " (keeping the current IP)"))

    def _failure(self, key: str, svc: Mapping[str, Any], current: tuple[str, ...],
                 reason: str, message: str) -> Decision:
        self.allocator.release(key)
        rv = svc["metadata"].get("resourceVersion")
        repeated = self.failed.get(key) == message
        self.failed[key] = message
        # A failed Service must not keep showing an IP it no longer holds.
        write: tuple[str, ...] | None = () if current else None
        if repeated:
            return Decision(key, write=write, resource_version=rv)
        self.written.pop(key, None)
        return Decision(key, write=write, resource_version=rv, failure=reason,
                        event=Event("Warning", "AllocationFailed",
                                    f"Failed to allocate IP for {key}: {reason}: {message}"))


def _same(current: tuple[str, ...], ips: Iterable[Any]) -> bool:
    return set(current) == {str(ip) for ip in ips}
