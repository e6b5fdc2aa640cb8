"""Leader election on a coordination.k8s.io/v1 Lease.

Threading: start() runs the election loop on a daemon thread; on_started_leading and
on_stopped_leading run one at a time, in order, on a separate callback thread, so a slow
callback never delays a renewal. is_leader() may be called from any thread and turns False by
itself once renew_deadline passes without a successful renewal, even before the loop notices.
write_window() says how long a write started now may take and still land before any standby
may take over (see kube/fence.py, which bounds each write attempt by it).
After losing the lease the elector stays a candidate and may lead again (on_started_leading
then runs again); call stop() from on_stopped_leading to end instead.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from baremetal_lb.health import ThreadHealth

from . import lease as rules
from .client import KubeClient
from .errors import ApiError
from .lease import LeaseRecord, Observed
from .resources import LEASES

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class LeaderElector:
    def __init__(self, client: KubeClient, namespace: str, name: str, identity: str, *,
                 lease_duration: float, renew_deadline: float, retry_period: float,
                 on_started_leading: Callable[[], None],
                 on_stopped_leading: Callable[[], None],
                 clock: Clock = time.monotonic) -> None:
        rules.check_timing(lease_duration, renew_deadline, retry_period)
        if not identity:
            raise ValueError("leader election identity is empty; pass e.g. the Pod name")
        self.client, self.namespace, self.name, self.identity = client, namespace, name, identity
        self.lease_duration = lease_duration
        # What standbys count: the leaseDurationSeconds we write (whole seconds).
        self._expiry = min(lease_duration, rules.lease_seconds(lease_duration))
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._clock = clock
        self._path = LEASES.path(namespace, name)
        self._lease: dict[str, Any] | None = None     # the last lease we wrote or read
        self._observed: Observed | None = None
        self._last_renew: float | None = None
        self._leading = False
        self._state = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._callbacks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._callback_thread: threading.Thread | None = None
        # A dead election loop would stop renewing (the standby takes over) and never lead
        # again; both replicas so broken leave nobody allocating. /healthz reports it.
        self.health = ThreadHealth(f"leader election {name}", clock=clock)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"leader elector {self.identity} was already started")
        self._callback_thread = threading.Thread(target=self._run_callbacks, daemon=True,
                                                 name=f"leader-callbacks-{self.name}")
        self._callback_thread.start()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"leader-elector-{self.name}")
        self._thread.start()
        self.health.watch(self._thread)

    def is_leader(self) -> bool:
        with self._state:
            return self._leading and rules.holds(self._last_renew, self._clock(),
                                                 self.renew_deadline)

    def write_window(self) -> float:
        """Seconds a write started now has to land before a standby may take the lease: 0
        unless we lead (is_leader()), else the lease duration counted from the start of our
        last successful renewal. A standby starts counting no earlier than when it read that
        renewal, which landed after it started, so it cannot take over sooner."""
        with self._state:
            now = self._clock()
            if not (self._leading and rules.holds(self._last_renew, now, self.renew_deadline)):
                return 0.0
            assert self._last_renew is not None
            return max(0.0, self._last_renew + self._expiry - now)

    def stop(self, release: bool = True) -> None:
        """Ends the election. If we lead, on_stopped_leading runs (and is waited for, unless
        stop() is called from it) before the lease is released, so the next leader never
        overlaps with our callbacks; without release a standby takes over only once the
        lease expires."""
        self._stopping.set()
        self.health.stopped()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.renew_deadline + 5)
        was_leading = self._step_down()
        self._callbacks.put(None)
        callback_thread = self._callback_thread
        if callback_thread is not None and callback_thread is not threading.current_thread():
            callback_thread.join(10)
        if release and was_leading:
            self._release()

    # -- the election loop --------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                leading = self.step()
                self.health.ok()
            except Exception as exc:  # noqa: BLE001 - e.g. a malformed Lease; keep trying
                log.exception("lease %s/%s: an election round failed", self.namespace,
                              self.name)
                self.health.failed(exc)
                leading = False
                # No renewal this round: step down in time (is_leader() already turns False
                # by itself at renew_deadline).
                if not rules.holds(self._last_renew, self._clock(), self.renew_deadline):
                    self._step_down()
            jitter = 1.0 if leading else 1.0 + 0.2 * random.random()
            self._stopping.wait(self.retry_period * jitter)

    def step(self) -> bool:
        """One round of the election (the loop runs one every retry_period): acquire or
        renew, or step down once renew_deadline has passed without success. Returns whether
        we lead. Public so the timing can be tested with a fake clock; before start() the
        callbacks run on the caller's thread."""
        started = self._clock()
        if self._try_acquire_or_renew(started):
            with self._state:
                self._last_renew = started
                newly = not self._leading
                self._leading = True
            if newly:
                log.info("lease %s/%s: %s is now the leader", self.namespace, self.name,
                         self.identity)
                self._dispatch(self._on_started)
            return True
        if not rules.holds(self._last_renew, self._clock(), self.renew_deadline):
            if self._step_down():
                log.warning("lease %s/%s: %s could not renew within %.1fs; stepping down",
                            self.namespace, self.name, self.identity, self.renew_deadline)
        return self._leading

    def _step_down(self) -> bool:
        with self._state:
            was_leading, self._leading, self._last_renew = self._leading, False, None
        if was_leading:
            self._dispatch(self._on_stopped)
        return was_leading

    def _dispatch(self, callback: Callable[[], None]) -> None:
        if self._callback_thread is None:
            callback()
        else:
            self._callbacks.put(callback)

    def _try_acquire_or_renew(self, started: float) -> bool:
        timeout = max(0.5, min(self.retry_period, self.renew_deadline / 2))
        now = rules.micro_time()
        if self._leading and self._lease is not None:
            # Fast path: we hold it, so write straight away; a 409 means the lease moved on.
            current = LeaseRecord.from_lease(self._lease)
            if current.holder == self.identity and self._write(
                    rules.next_record(current, self.identity, now, self.lease_duration),
                    timeout):
                return True
        try:
            self._lease = self.client.request("GET", self._path, timeout=timeout)
        except ApiError as exc:
            if exc.status != 404:
                log.warning("lease %s/%s: cannot read it: %s", self.namespace, self.name, exc)
                return False
            self._lease = None
        if self._lease is None:
            return self._write(rules.next_record(None, self.identity, now, self.lease_duration),
                               timeout)
        current = LeaseRecord.from_lease(self._lease)
        # Seen now, after the GET answered, not when we sent it: a renewal that landed while
        # the GET was on its way must not look older than it is (that would let us take the
        # lease before the holder's renew_deadline has passed).
        self._observed = rules.observe(self._observed, current, self._clock())
        if rules.decide(self._observed, self.identity, self._clock()) == rules.WAIT:
            return False
        return self._write(rules.next_record(current, self.identity, now, self.lease_duration),
                           timeout)

    def _write(self, record: LeaseRecord, timeout: float) -> bool:
        """Creates the lease (when we have none) or updates it at the resourceVersion we read
        (optimistic concurrency: a 409 means another candidate wrote first)."""
        try:
            if self._lease is None:
                body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": self.name, "namespace": self.namespace},
                        "spec": record.spec()}
                collection = LEASES.path(self.namespace)
                self._lease = self.client.request("POST", collection, body=body,
                                                  timeout=timeout)
            else:
                body = dict(self._lease, spec=record.spec())
                self._lease = self.client.request("PUT", self._path, body=body,
                                                  timeout=timeout)
        except ApiError as exc:
            if exc.status in (409, 404):
                log.debug("lease %s/%s: lost a write race: %s", self.namespace, self.name, exc)
            else:
                log.warning("lease %s/%s: cannot write it: %s", self.namespace, self.name, exc)
            if exc.status == 404:
                self._lease = None
            return False
        self._observed = rules.observe(self._observed, record, self._clock())
        return True

    def _release(self) -> None:
        try:
            lease = self.client.request("GET", self._path, timeout=5)
            current = LeaseRecord.from_lease(lease)
            if current.holder != self.identity:
                return
            released = rules.released_record(current, rules.micro_time())
            self.client.request("PUT", self._path, body=dict(lease, spec=released.spec()),
                                timeout=5)
            log.info("lease %s/%s: %s released it", self.namespace, self.name, self.identity)
        except ApiError as exc:
            log.warning("lease %s/%s: could not release it (a standby takes over once it "
                        "expires): %s", self.namespace, self.name, exc)

    def _run_callbacks(self) -> None:
        while True:
            callback = self._callbacks.get()
            if callback is None:
                return
            try:
                callback()
            except Exception:  # noqa: BLE001 - a failing callback must not end the election
                log.exception("lease %s/%s: leader callback failed", self.namespace, self.name)
