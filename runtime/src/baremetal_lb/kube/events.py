"""Kubernetes Events (core/v1), recorded asynchronously and aggregated like kubectl shows them.

Threading: record() only queues (bounded; when full the event is dropped and counted in
`dropped`) and never blocks; one daemon thread, started on the first record(), sends. A
repeat of the same (object, type, reason, message) PATCHes count and lastTimestamp of the
Event already sent instead of creating another.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .client import MERGE_PATCH, KubeClient
from .errors import ApiError
from .resources import EVENTS

log = logging.getLogger(__name__)
TYPES = ("Normal", "Warning")
SEND_ATTEMPTS = 3


class Sent(NamedTuple):
    namespace: str
    name: str
    times: int


class _Pending(NamedTuple):
    ref: dict[str, str]
    type_: str
    reason: str
    message: str
    at: float


def involved_object(obj: Mapping[str, Any]) -> dict[str, str]:
    """The ObjectReference of an object (needs kind, apiVersion and metadata.name)."""
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"),
           "namespace": meta.get("namespace"), "name": meta.get("name"),
           "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")}
    if not ref["kind"] or not ref["name"]:
        raise ValueError(f"cannot record an event for an object without kind and "
                         f"metadata.name ({ref}); pass the object as read from the apiserver")
    return {key: str(value) for key, value in ref.items() if value}


def event_key(ref: Mapping[str, str], type_: str, reason: str, message: str) -> tuple[str, ...]:
    """What makes two events the same for aggregation (not the object's resourceVersion)."""
    return (ref.get("apiVersion", ""), ref.get("kind", ""), ref.get("namespace", ""),
            ref.get("name", ""), ref.get("uid", ""), type_, reason, message)


def timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_event(ref: Mapping[str, str], type_: str, reason: str, message: str, at: float,
              component: str, host: str) -> dict[str, Any]:
    namespace = ref.get("namespace") or "default"
    # client-go's naming: the object's name and the time in nanoseconds, in hex.
    suffix = f".{int(at * 1e9):x}"
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": ref["name"][:253 - len(suffix)] + suffix, "namespace": namespace},
        "involvedObject": dict(ref), "reason": reason, "message": message[:1024],
        "type": type_, "source": {"component": component, "host": host},
        "firstTimestamp": timestamp(at), "lastTimestamp": timestamp(at), "count": 1,
        "reportingComponent": component, "reportingInstance": host,
    }


class EventRecorder:
    def __init__(self, client: KubeClient, component: str, host: str | None = None, *,
                 queue_size: int = 1000, cache_size: int = 4096,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.component = component
        self.host = host or socket.gethostname()
        self._queue: queue.Queue[_Pending | None] = queue.Queue(maxsize=queue_size)
        self._sent: OrderedDict[tuple[str, ...], Sent] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._deadline: float | None = None     # set by stop(): flush until then
        self.dropped = 0
        self.failed = 0

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        """Queues an event about obj (kind, apiVersion, metadata.name/namespace/uid); type_ is
        Normal or Warning. Never blocks and never raises: an unusable call is logged and
        counted in `failed`."""
        try:
            if type_ not in TYPES:
                raise ValueError(f"event type {type_!r} is neither Normal nor Warning")
            pending = _Pending(involved_object(obj), type_, reason, message, self._clock())
        except ValueError as exc:
            # A bad call must not break the caller's reconcile; say it loudly instead.
            log.error("event %s %r not recorded: %s", type_, reason, exc)
            with self._lock:
                self.failed += 1
            return
        with self._lock:
            if self._deadline is not None:
                self.dropped += 1
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"events-{self.component}")
                self._thread.start()
        try:
            self._queue.put_nowait(pending)
        except queue.Full:
            with self._lock:
                self.dropped += 1

    def stop(self, timeout: float = 2.0) -> None:
        """Sends what is queued for at most `timeout` seconds, then drops the rest."""
        with self._lock:
            self._deadline = time.monotonic() + timeout
            thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        thread.join(timeout + 1)

    def _run(self) -> None:
        while True:
            try:
                pending = self._queue.get(timeout=0.5)
            except queue.Empty:
                if self._deadline is not None:   # stop() could not queue its sentinel
                    return
                continue
            if pending is None:
                return
            if self._deadline is not None and time.monotonic() > self._deadline:
                with self._lock:
                    self.dropped += 1
                continue
            for attempt in range(SEND_ATTEMPTS):
                try:
                    self._send(pending)
                    break
                except ApiError as exc:
                    retry = (exc.status == 0 or exc.status >= 500 or exc.status == 429) and \
                        attempt + 1 < SEND_ATTEMPTS and self._deadline is None
                    if not retry:
                        log.warning("event %s %s on %s/%s not sent: %s", pending.type_,
                                    pending.reason, pending.ref.get("namespace", ""),
                                    pending.ref["name"], exc)
                        with self._lock:
                            self.failed += 1
                        break
                    time.sleep(0.5 * 2 ** attempt)
                except Exception:  # noqa: BLE001 - the sender must outlive any one event
                    log.exception("event %s %s on %s/%s not sent", pending.type_,
                                  pending.reason, pending.ref.get("namespace", ""),
                                  pending.ref["name"])
                    with self._lock:
                        self.failed += 1
                    break

    def _send(self, pending: _Pending) -> None:
        key = event_key(pending.ref, pending.type_, pending.reason, pending.message)
        previous = self._sent.get(key)
        if previous is not None:
            count = previous.times + 1
            path = EVENTS.path(previous.namespace, previous.name)
            try:
                self.client.request("PATCH", path, content_type=MERGE_PATCH, body={
                    "count": count, "lastTimestamp": timestamp(pending.at)})
                self._remember(key, previous._replace(times=count))
                return
            except ApiError as exc:
                if exc.status != 404:       # 404: the Event expired (1 h TTL); start anew
                    raise
        event = new_event(pending.ref, pending.type_, pending.reason, pending.message,
                          pending.at, self.component, self.host)
        namespace = event["metadata"]["namespace"]
        created = self.client.request("POST", EVENTS.path(namespace),
                                      body=event)
        self._remember(key, Sent(namespace, created["metadata"]["name"], 1))

    def _remember(self, key: tuple[str, ...], sent: Sent) -> None:
        self._sent[key] = sent
        self._sent.move_to_end(key)
        while len(self._sent) > self._cache_size:
            self._sent.popitem(last=False)
