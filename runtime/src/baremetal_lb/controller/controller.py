"""The controller: watches Services, IPAddressPools and Namespaces and writes Service IPs.

Threads and who owns what:
- three informers keep slim caches and feed keys into the work queue (never block);
- `workers` reconcile threads take keys; the decision is made under `self._lock` (allocation
  is serial), the status write happens outside it, so writes run in parallel;
- the main thread (``run``) handles leadership changes and pool changes, and writes the
  IPAddressPool status when usage changed (never periodically when nothing changes).

Only the leader decides. When it becomes leader it re-lists everything (a consistent read, so
what the previous leader wrote is seen even if a watch lags), rebuilds the allocator from the
IPs Services already show, oldest first, and only then allocates anything new.

Writes are fenced (kube/fence.py): leadership is checked right before each attempt, each
attempt is cut off when a standby could take the lease over, and a write with all its retries
takes less than lease_duration - renew_deadline; so the old leader's writes have all landed or
been abandoned before a new leader can start. Every status write is conditional on the
resourceVersion it was decided from, so even a write delayed past all that (a pause between
the check and the send) fails instead of overwriting what the new leader wrote.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from baremetal_lb.config import config_for
from baremetal_lb.config.projection import slim_metallb, slim_namespace, slim_service
from baremetal_lb.health import ThreadHealth, problems
from baremetal_lb.kube import ApiError, EventRecorder, Informer, KubeClient, LeaderElector, merge_patch_status
from baremetal_lb.kube.fence import Fenced, WriteFence
from baremetal_lb.kube.resources import IP_ADDRESS_POOLS, NAMESPACES, SERVICES, Resource
from baremetal_lb.metrics import ControllerMetrics
from baremetal_lb.report import ConfigReporter

from .decide import Decision, ServiceDecider
from .status import pool_status, status_patch
from .workqueue import WorkQueue

log = logging.getLogger(__name__)


@dataclass
class ControllerOptions:
    namespace: str = "metallb-system"
    lb_class: str | None = None
    claim_unclassed: bool = True
    workers: int = 8
    leader_elect: bool = True
    identity: str = "baremetal-lb-controller"
    lease_name: str = "baremetal-lb-controller"
    lease_duration: float = 6.0
    renew_deadline: float = 4.0
    retry_period: float = 1.0
    # One write, all its attempts included; below lease_duration - renew_deadline (checked).
    write_timeout: float = 1.5
    pool_status_period: float = 1.0
    field_manager: str = "baremetal-lb-controller"    # managedFields of its status writes

    def check(self) -> None:
        margin = self.lease_duration - self.renew_deadline
        if self.leader_elect and not 0 < self.write_timeout < margin:
            raise ValueError(
                f"write timeout {self.write_timeout}s must be positive and shorter than lease "
                f"duration - renew deadline ({self.lease_duration} - {self.renew_deadline} = "
                f"{margin}s): a write still being retried after that could land after a "
                "standby took over")


class Controller:
    def __init__(self, client: KubeClient, options: ControllerOptions,
                 metrics: ControllerMetrics) -> None:
        options.check()
        self.client = client
        self.options = options
        self.metrics = metrics
        client.observer = metrics.observe_request
        self.recorder = EventRecorder(client, "baremetal-lb-controller")
        # Written by the leader only: it is the one that reads the pools.
        self.fence = WriteFence(self._write_window, options.write_timeout)
        self.reporter = ConfigReporter(client, self.recorder, options.namespace, "controller",
                                       "baremetal-lb-controller", kinds=["IPAddressPool"],
                                       fence=self.fence)
        self.queue = WorkQueue()
        self._lock = threading.Lock()
        self._decider = ServiceDecider(options.lb_class, options.claim_unclassed)
        self._active = threading.Event()       # leading and rebuilt: decisions allowed
        self._wake = threading.Event()         # something for the main loop to do
        self._stop = threading.Event()
        self._want_rebuild = False
        self._want_pools = False
        self._pool_status_written: dict[str, dict[str, Any]] = {}
        self._threads: list[threading.Thread] = []
        # The main loop: rebuilds after a leadership change, pool changes, pool status.
        self._loop_health = ThreadHealth("controller main loop", grace=60.0)
        self.services: Informer[dict[str, Any]] = Informer(
            client, SERVICES.path(), name="services",
            transform=lambda obj: slim_service(obj, allocation=True), on_event=self._on_service)
        self.pools: Informer[dict[str, Any]] = Informer(
            client, IP_ADDRESS_POOLS.path(options.namespace),
            name="ipaddresspools", transform=slim_metallb, on_event=self._on_pool)
        self.namespaces: Informer[dict[str, Any]] = Informer(
            client, NAMESPACES.path(), name="namespaces", transform=slim_namespace,
            on_event=self._on_namespace)
        self.elector: LeaderElector | None = None
        if options.leader_elect:
            self.elector = LeaderElector(
                client, options.namespace, options.lease_name, options.identity,
                lease_duration=options.lease_duration, renew_deadline=options.renew_deadline,
                retry_period=options.retry_period,
                on_started_leading=self._on_started_leading,
                on_stopped_leading=self._on_stopped_leading)

    # -- lifecycle ---------------------------------------------------------------------------

    def informers(self) -> list[Informer[dict[str, Any]]]:
        return [self.namespaces, self.pools, self.services]

    def synced(self) -> bool:
        return all(i.has_synced for i in self.informers())

    def healthy(self) -> tuple[bool, str]:
        """The reconcile workers, the main loop and leader election alive (and not stuck
        failing); the message names what is not."""
        found = [f"{t.name}: thread died" for t in self._threads if not t.is_alive()]
        found += problems([self._loop_health,
                           self.elector.health if self.elector is not None else None])
        if self._stop.is_set():
            found.insert(0, "stopping")
        return (False, "; ".join(found)) if found else (True, "ok")

    def is_active(self) -> bool:
        return self._active.is_set()

    def run(self, stop: threading.Event) -> None:
        for informer in self.informers():
            informer.start()
        while not all(i.wait_synced(1.0) for i in self.informers()):
            if stop.is_set():
                return self._shutdown()
        log.info("caches synced: %d services, %d pools", len(self.services.items()),
                 len(self.pools.items()))
        for n in range(self.options.workers):
            self._spawn(self._worker, f"reconcile-{n}")
        if self.elector is not None:
            self.elector.start()
        else:
            self._on_started_leading()
        self._loop_health.watch(threading.current_thread())
        next_status = 0.0
        while not stop.is_set():
            self._wake.wait(timeout=self.options.pool_status_period / 2)
            self._wake.clear()
            try:
                if self._want_rebuild:
                    self._rebuild()
                if self._want_pools and self._active.is_set():
                    self._apply_pools()
                if time.monotonic() >= next_status and self._active.is_set():
                    self._write_pool_status()
                    next_status = time.monotonic() + self.options.pool_status_period
                self._loop_health.ok()
            except Exception as exc:  # noqa: BLE001 - e.g. the apiserver gone during a rebuild
                log.exception("main loop: a pass failed; retrying")
                self._loop_health.failed(exc)
                stop.wait(1.0)
        self._loop_health.stopped()
        self._shutdown()

    def _shutdown(self) -> None:
        self._stop.set()
        self._active.clear()        # the fence lets no new attempt start
        self.queue.close()
        # Hand the lease over only once nothing of ours can still land.
        if not self.fence.drain(self.options.write_timeout + 1):
            log.warning("a status write was still in flight when stepping down")
        if self.elector is not None:
            self.elector.stop(release=True)
        for informer in self.informers():
            informer.stop()
        self.reporter.stop()
        self.recorder.stop()

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- leadership ------------------------------------------------------------------------

    def _on_started_leading(self) -> None:
        log.info("leading as %s", self.options.identity)
        self.metrics.leader.set(1)
        self._want_rebuild = True
        self._wake.set()

    def _on_stopped_leading(self) -> None:
        log.warning("lost leadership: no more writes from %s", self.options.identity)
        self._active.clear()
        self._want_rebuild = False
        self.queue.clear()
        self.metrics.leader.set(0)
        self.metrics.services.set(0)

    def _may_write(self) -> bool:
        return self._write_window() > 0

    def _write_window(self) -> float:
        """How long a write started now may take (the fence's window): 0 unless leading and
        rebuilt; without leader election, unbounded."""
        if not self._active.is_set() or self._stop.is_set():
            return 0.0
        return math.inf if self.elector is None else self.elector.write_window()

    def _rebuild(self) -> None:
        self._want_rebuild = False
        started = time.monotonic()
        try:
            for informer in self.informers():
                informer.relist()
        except Exception:
            # Nothing is allocated before a consistent re-list: try again while leading.
            self._want_rebuild = self.elector is None or self.elector.is_leader()
            raise
        with self._lock:
            self._decider = ServiceDecider(self.options.lb_class, self.options.claim_unclassed)
            self._set_pools_locked()
            kept = self._decider.claim_existing(self.services.items(), self._namespace_labels())
            self._active.set()
        keys = [f"{s['metadata']['namespace']}/{s['metadata']['name']}"
                for s in self.services.items()]
        self.queue.add_all(keys)
        self._refresh_usage_metrics()
        log.info("allocator rebuilt in %.3fs: %d services kept their IPs, %d to reconcile",
                 time.monotonic() - started, kept, len(keys))

    # -- informer callbacks (informer threads: only queue work) -----------------------------

    def _on_service(self, kind: str, key: str, old: dict[str, Any] | None,
                    new: dict[str, Any] | None) -> None:
        self.queue.add(key)

    def _on_pool(self, kind: str, key: str, old: dict[str, Any] | None,
                 new: dict[str, Any] | None) -> None:
        if old is not None and new is not None and old.get("spec") == new.get("spec"):
            return  # our own status write coming back
        self._want_pools = True
        self._wake.set()

    def _on_namespace(self, kind: str, key: str, old: dict[str, Any] | None,
                      new: dict[str, Any] | None) -> None:
        old_labels = (old or {}).get("metadata", {}).get("labels")
        new_labels = (new or {}).get("metadata", {}).get("labels")
        if old_labels == new_labels:
            return
        namespace = key
        self.queue.add_all([f"{namespace}/{s['metadata']['name']}" for s in self.services.items()
                            if s["metadata"]["namespace"] == namespace])

    # -- pools -------------------------------------------------------------------------------

    def _apply_pools(self) -> None:
        self._want_pools = False
        with self._lock:
            released = self._set_pools_locked()
        if released:
            log.info("pool change released %d services", len(released))
        self.queue.add_all([f"{s['metadata']['namespace']}/{s['metadata']['name']}"
                            for s in self.services.items()])

    def _set_pools_locked(self) -> list[str]:
        config = config_for(pools=self.pools.items())
        self.metrics.pool_problems.set(len(config.problems))
        self.reporter.report(config.problems)
        pools = config.allocator_pools()
        known = {p.name for p in pools}
        for name in list(self._pool_status_written):
            if name not in known:
                self.metrics.forget_pool(name)
                del self._pool_status_written[name]
        return self._decider.set_pools(pools)

    def _refresh_usage_metrics(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            usage = self._decider.usage()
            self.metrics.services.set(self._decider.served())
        bodies = {}
        for name, u in usage.items():
            self.metrics.set_pool_usage(name, "ipv4", u.assigned_v4, u.available_v4)
            self.metrics.set_pool_usage(name, "ipv6", u.assigned_v6, u.available_v6)
            bodies[name] = pool_status(u.assigned_v4, u.available_v4, u.assigned_v6,
                                       u.available_v6)
        return bodies

    def _write_pool_status(self) -> None:
        for name, body in self._refresh_usage_metrics().items():
            if self._pool_status_written.get(name) == body or not self._may_write():
                continue
            pool = self.pools.get(f"{self.options.namespace}/{name}")
            if pool is None:
                continue        # not in the cache (yet): nothing to base a conditional write on
            if pool.get("status") == body["status"]:
                self._pool_status_written[name] = body  # already shown (e.g. after a restart)
                continue
            # Conditional on the version we read: a 409 (the pool changed, or someone else
            # wrote its status) is retried next period from the cache's newer version.
            patch = dict(body, metadata={"resourceVersion": pool["metadata"]["resourceVersion"]})
            try:
                self._patch_status(IP_ADDRESS_POOLS, self.options.namespace, name, patch)
                self._pool_status_written[name] = body
            except (ApiError, Fenced, OSError) as exc:
                log.info("pool %s status not written (retrying): %s", name, exc)

    def _namespace_labels(self) -> dict[str, Mapping[str, str]]:
        return {n["metadata"]["name"]: n["metadata"].get("labels") or {}
                for n in self.namespaces.items()}

    # -- reconcile workers -----------------------------------------------------------------

    def _worker(self) -> None:
        while not self._stop.is_set():
            self._active.wait(timeout=1.0)
            if not self._active.is_set():
                continue
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                self._reconcile(key)
            except Exception:  # one bad Service must not kill a worker
                log.exception("reconcile of %s failed; retrying", key)
                self.queue.retry(key, 1.0)
            finally:
                self.queue.done(key)

    def _reconcile(self, key: str) -> None:
        started = time.perf_counter()
        svc = self.services.get(key)
        namespace = key.split("/", 1)[0]
        ns = self.namespaces.get(namespace)
        labels = (ns or {}).get("metadata", {}).get("labels") or {}
        with self._lock:
            if not self._active.is_set():
                return
            decision = self._decider.decide(key, svc, labels)
            retry = self._decider.failed_keys() if svc is None else []
        if svc is None and retry:
            self.queue.add_all(retry)  # a freed IP may be what a failed Service waits for
        if decision.failure:
            self.metrics.allocation_failures.labels(reason=decision.failure).inc()
        if decision.write is not None and svc is not None:
            if not self._write_status(key, svc, decision):
                return
        self.queue.forget(key)
        if decision.allocated:
            self.metrics.allocations.inc()
        if decision.event is not None and svc is not None:
            self.recorder.record(svc, decision.event.type, decision.event.reason,
                                 decision.event.message)
        self.metrics.reconcile_seconds.observe(time.perf_counter() - started)

    def _patch_status(self, resource: Resource, namespace: str, name: str,
                      body: dict[str, Any]) -> None:
        """One fenced status write (see the module docstring); raises Fenced or ApiError."""
        self.fence.run(f"{resource.kind} {namespace}/{name} status", lambda timeout: (
            merge_patch_status(self.client, resource, namespace, name, body, timeout=timeout,
                               field_manager=self.options.field_manager, retry=False)))

    def _write_status(self, key: str, svc: Mapping[str, Any], decision: Decision) -> bool:
        namespace, name = key.split("/", 1)
        assert decision.write is not None
        try:
            self._patch_status(SERVICES, namespace, name,
                               status_patch(decision.resource_version, decision.write))
            return True
        except Fenced as exc:
            with self._lock:
                self._decider.write_failed(key)
            if self._may_write():   # still leading: the apiserver was too slow; try again
                log.info("%s; retrying", exc)
                self.queue.retry(key, 1.0)
            else:                   # the next leader decides it again from what it reads
                log.info("%s", exc)
            return False
        except ApiError as exc:
            with self._lock:
                self._decider.write_failed(key)
            if exc.status == 404:
                self.queue.forget(key)
                return False  # deleted meanwhile: its DELETED event releases the IP
            # 409: the Service changed since we decided; the watch brings the new version.
            delay = self.queue.retry(key, 0.05 if exc.status == 409 else 1.0)
            if exc.status != 409:
                log.info("status write for %s refused (%s); retrying in %.1fs", key, exc, delay)
            return False
        except OSError as exc:
            log.info("status write for %s failed (%s); retrying", key, exc)
            with self._lock:
                self._decider.write_failed(key)
            self.queue.retry(key, 1.0)
            return False
