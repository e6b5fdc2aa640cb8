"""A leader paused (SIGSTOP) past its lease in the middle of a burst of Services, with writes
pending, and resumed (SIGCONT) after the standby took over and wrote: no write of the old
leader lands after the new leader's first one, and no IP is given twice, at any moment.

Who wrote what: each replica names its status writes with its own field manager
(`--field-manager`), and Service status.loadBalancer.ingress is an atomic list, so the
manager that owns `f:ingress` in a version of the Service is the one whose write made it. A
watch from before the burst sees every version in the apiserver's order.
"""

from __future__ import annotations

import ipaddress
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubernetes import watch

from conftest import Cluster, eventually

SERVICES = 300
POOL = ipaddress.ip_network("198.18.24.0/23")
PAUSE_AFTER = 40            # IPs the leader has written before it is paused
LEASE_DURATION = 6.0        # the controller's default --lease-duration


def _holder(cluster: Cluster, namespace: str) -> str | None:
    lease = cluster.coordination.read_namespaced_lease("baremetal-lb-controller", namespace)
    return lease.spec.holder_identity


def _ingress_writer(svc: Any) -> str | None:
    """The field manager that owns status.loadBalancer.ingress (the last one to set it)."""
    for entry in svc.metadata.managed_fields or []:
        fields = (entry.fields_v1 or {}).get("f:status", {}).get("f:loadBalancer", {})
        if entry.subresource == "status" and "f:ingress" in fields:
            return str(entry.manager)
    return None


def _ips(svc: Any) -> tuple[str, ...]:
    ingress = (svc.status and svc.status.load_balancer and svc.status.load_balancer.ingress)
    return tuple(i.ip for i in ingress or [])


class Writes:
    """Every change of a Service's IPs, in the apiserver's order, with its writer."""

    def __init__(self, cluster: Cluster, namespace: str) -> None:
        self.changes: list[tuple[str, tuple[str, ...], str | None]] = []
        self._seen: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._watch = watch.Watch()
        self._stopping = threading.Event()
        self.broken: Exception | None = None
        self._rv = cluster.core.list_namespaced_service(namespace).metadata.resource_version
        self._thread = threading.Thread(target=self._run, args=(cluster, namespace),
                                        daemon=True)
        self._thread.start()

    def _run(self, cluster: Cluster, namespace: str) -> None:
        # As an informer does: a stream the apiserver ends or cuts is resumed from the last
        # resourceVersion seen, so no write goes unseen; one that keeps failing is reported.
        failures = 0
        while not self._stopping.is_set():
            try:
                self._follow(cluster, namespace)
            except Exception as exc:  # noqa: BLE001 - judged in stop()
                if self._stopping.is_set():
                    return
                failures += 1
                if failures > 5:
                    self.broken = exc
                    return
                time.sleep(0.2)

    def _follow(self, cluster: Cluster, namespace: str) -> None:
        for event in self._watch.stream(cluster.core.list_namespaced_service, namespace,
                                        resource_version=self._rv, timeout_seconds=600):
            svc = event["object"]
            self._rv = svc.metadata.resource_version
            name = svc.metadata.name
            ips = () if event["type"] == "DELETED" else _ips(svc)
            with self._lock:
                if ips != self._seen.get(name, ()):
                    self._seen[name] = ips
                    self.changes.append((name, ips, _ingress_writer(svc) if ips else None))

    def by(self, manager: str) -> int:
        with self._lock:
            return sum(1 for _, ips, writer in self.changes if ips and writer == manager)

    def stop(self) -> list[tuple[str, tuple[str, ...], str | None]]:
        time.sleep(1)       # the last events arrive
        self._stopping.set()
        self._watch.stop()
        self._thread.join(5)
        # A watch that could not be resumed saw only part of the writes: the test could pass
        # on what it missed.
        assert self.broken is None, f"the Service watch kept failing: {self.broken!r}"
        with self._lock:
            return list(self.changes)


def test_a_paused_leader_writes_nothing_after_the_new_leader_started(cluster: Cluster,
                                                                    controllers: Any) -> None:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "big", {"addresses": [str(POOL)]})
    replicas = {name: controllers(pools, lb_class=lb_class, leader_elect=True, identity=name,
                                  extra=["--field-manager", f"ctl-{name}"])
                for name in ("replica-a", "replica-b")}
    leader_name = eventually(lambda: _holder(cluster, pools), 20, what="a leader")
    leader = replicas[leader_name]
    leader.wait_leading()
    standby = next(r for name, r in replicas.items() if name != leader_name)
    old, new = f"ctl-{leader.identity}", f"ctl-{standby.identity}"

    writes = Writes(cluster, apps)
    paused_at: list[float] = []
    resumed_at: list[float] = []
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = []
            for index in range(SERVICES):
                futures.append(pool.submit(cluster.service, apps, f"svc-{index:03d}",
                                           lb_class=lb_class))
                if index == SERVICES // 3:
                    # Mid-burst: the leader is busy writing, its queue is not empty.
                    eventually(lambda: writes.by(old) >= PAUSE_AFTER, 60, interval=0.05,
                               what="the leader to write some IPs")
                    leader.proc.send_signal(signal.SIGSTOP)
                    paused_at.append(time.monotonic())
            for future in futures:
                future.result()
        eventually(lambda: _holder(cluster, pools) == standby.identity, 30,
                   what=f"the standby to take the lease (standby log:\n{standby.log()})")
        eventually(lambda: writes.by(new) > 0, 30, what="the new leader's first write")
        # Paused well past the lease, with the new leader writing meanwhile.
        time.sleep(max(0.0, paused_at[0] + LEASE_DURATION + 2 - time.monotonic()))
    finally:
        leader.proc.send_signal(signal.SIGCONT)
        resumed_at.append(time.monotonic())

    eventually(lambda: sum(1 for s in cluster.core.list_namespaced_service(apps).items
                           if _ips(s)) == SERVICES, 120, interval=1,
               what=f"all {SERVICES} Services to get an IP")
    time.sleep(4)   # anything the old leader still had pending would have landed by now
    changes = writes.stop()

    writers = [writer for _, ips, writer in changes if ips]
    assert old in writers and new in writers, f"writers seen: {sorted(set(map(str, writers)))}"
    first_new = next(i for i, (_, ips, writer) in enumerate(changes) if ips and writer == new)
    late = [(name, ips) for name, ips, writer in changes[first_new:] if ips and writer == old]
    assert not late, (f"the old leader's writes landed after the new leader started: {late[:10]}"
                      f"\nold leader's log:\n{leader.log()}")
    unknown = {writer for writer in writers if writer not in (old, new)}
    assert not unknown, f"IPs written by unexpected managers: {unknown}"

    # No IP held by two Services at any moment of the stream, nor at the end.
    holders: dict[str, tuple[str, ...]] = {}
    for name, ips, _ in changes:
        holders[name] = ips
        owned = [ip for held in holders.values() for ip in held]
        duplicates = {ip for ip in owned if owned.count(ip) > 1}
        assert not duplicates, f"after {name} got {ips}: {sorted(duplicates)} given twice"
    final = [ip for s in cluster.core.list_namespaced_service(apps).items for ip in _ips(s)]
    assert len(final) == len(set(final)) == SERVICES
    assert all(ipaddress.ip_address(ip) in POOL for ip in final)
    assert _holder(cluster, pools) == standby.identity, "the resumed leader took the lease back"
    assert leader.get("/readyz")[1].strip() == "standby"
    print(f"paused {resumed_at[0] - paused_at[0]:.1f}s; writes: {writers.count(old)} by the old "
          f"leader, {writers.count(new)} by the new one")
