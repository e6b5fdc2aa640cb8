"""An informer: a local, always-current copy of one collection, with change callbacks.

Threading: each informer runs one daemon thread. It LISTs (paged), then WATCHes from the
list's resourceVersion, follows BOOKMARKs, re-watches when the apiserver ends the stream,
re-LISTs on 410 (history gone) and emits the differences, and retries with capped backoff
when the apiserver cannot be reached. `on_event` is called on that thread, one event at a
time, in order: it must return quickly (hand work to a queue); while it runs the informer
reads nothing. `get` and `items` may be called from any thread, also from `on_event`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast

from .backoff import Backoff
from .client import KubeClient, WatchStream
from .errors import ApiError
from .paths import object_key
from .store import Change, Entry, apply_event, diff_store

T = TypeVar("T")
log = logging.getLogger(__name__)


class _RelistRequest:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class Informer(Generic[T]):
    """Watches the collection at `path` (e.g. resource_path("v1", "services", None)).

    on_event(type, key, old, new): type ADDED (old None), MODIFIED, or DELETED (new None, old
    the last stored value); key "namespace/name" or "name". `transform` turns every object
    (metadata.managedFields already removed) into what the store keeps; `params` (e.g.
    labelSelector) apply to both LIST and WATCH.
    """

    def __init__(self, client: KubeClient, path: str, *, name: str,
                 on_event: Callable[[str, str, T | None, T | None], None],
                 transform: Callable[[dict[str, Any]], T] | None = None,
                 params: Mapping[str, str] | None = None,
                 page_size: int = 500, watch_timeout: int = 300,
                 backoff: Backoff | None = None) -> None:
        self.client = client
        self.path = path
        self.name = name
        self._on_event = on_event
        self._transform = transform or cast(Callable[[dict[str, Any]], T], _identity)
        self._params = dict(params or {})
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff = backoff or Backoff()
        self._store: dict[str, Entry[T]] = {}
        self._lock = threading.Lock()           # guards _store, _stream, _requests
        self._resource_version = ""
        self._stream: WatchStream | None = None
        self._requests: list[_RelistRequest] = []
        self._synced = threading.Event()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- public -------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    @property
    def resource_version(self) -> str:
        """The newest resourceVersion seen (list, event or bookmark)."""
        return self._resource_version

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"informer {self.name} was already started")
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._close_stream()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def get(self, key: str) -> T | None:
        with self._lock:
            entry = self._store.get(key)
        return None if entry is None else entry.value

    def items(self) -> list[T]:
        with self._lock:
            return [entry.value for entry in self._store.values()]

    def relist(self) -> None:
        """A consistent LIST now: replaces the store and emits the differences, on the
        informer thread if it runs (this call waits for it), else on the caller's. Raises
        ApiError if the LIST fails."""
        thread = self._thread
        if thread is None or not thread.is_alive() or thread is threading.current_thread():
            self._list_and_replace()
            return
        request = _RelistRequest()
        with self._lock:
            self._requests.append(request)
        self._wake.set()
        self._close_stream()
        while not request.done.wait(0.5):
            if not thread.is_alive():
                raise ApiError(0, "Stopped", f"informer {self.name} stopped before re-listing")
        if request.error is not None:
            raise request.error

    # -- the informer thread -------------------------------------------------------------

    def _run(self) -> None:
        need_list = True
        while not self._stopping.is_set():
            with self._lock:
                requests, self._requests = self._requests, []
            try:
                if need_list or requests:
                    self._list_and_replace()
                    need_list = False
                    self._backoff.reset()
                    for request in requests:
                        request.done.set()
                    requests = []
                self._watch_once()
            except ApiError as exc:
                for request in requests:
                    request.error = exc
                    request.done.set()
                if exc.status == 410:
                    log.info("informer %s: %s; re-listing", self.name, exc.message)
                    need_list = True
                    continue
                self._pause(exc)
            except Exception as exc:  # noqa: BLE001 - the informer thread must survive
                for request in requests:
                    request.error = exc
                    request.done.set()
                log.exception("informer %s: unexpected error", self.name)
                need_list = True
                self._pause(exc)
        with self._lock:
            requests, self._requests = self._requests, []
        for request in requests:
            request.error = ApiError(0, "Stopped", f"informer {self.name} stopped")
            request.done.set()

    def _pause(self, exc: BaseException) -> None:
        delay = self._backoff.next()
        log.warning("informer %s: %s; retrying in %.1fs", self.name, exc, delay)
        self._wake.clear()
        if self._requests or self._stopping.is_set():
            return
        self._wake.wait(delay)

    def _list_and_replace(self) -> None:
        fresh, resource_version = self._list()
        with self._lock:
            old, self._store = self._store, fresh
            self._resource_version = resource_version
        self._emit(diff_store(old, fresh))
        self._synced.set()

    def _list(self) -> tuple[dict[str, Entry[T]], str]:
        fresh: dict[str, Entry[T]] = {}
        params = dict(self._params, limit=str(self._page_size))
        resource_version = ""
        while True:
            page = self.client.request("GET", self.path, params=params)
            meta = page.get("metadata") or {}
            resource_version = resource_version or str(meta.get("resourceVersion", ""))
            kind = str(page.get("kind", "")).removesuffix("List")
            api_version = page.get("apiVersion")
            for item in page.get("items") or []:
                # List items of built-in kinds come without kind/apiVersion; events carry them.
                item.setdefault("kind", kind)
                item.setdefault("apiVersion", api_version)
                key, entry = self._entry(item)
                fresh[key] = entry
            token = meta.get("continue")
            if not token:
                return fresh, resource_version
            params["continue"] = str(token)

    def _watch_once(self) -> None:
        timeout = int(self._watch_timeout * (1 + random.random()))  # spread re-watches
        started = time.monotonic()
        stream = self.client.watch(self.path, resource_version=self._resource_version,
                                   timeout_seconds=timeout, params=self._params)
        with self._lock:
            self._stream = stream
            interrupted = bool(self._requests) or self._stopping.is_set()
        if interrupted:
            stream.close()
        try:
            for event in stream:
                self._handle(event)
        finally:
            with self._lock:
                self._stream = None
        if time.monotonic() - started > 1.0:
            self._backoff.reset()

    def _handle(self, event: dict[str, Any]) -> None:
        type_, obj = event.get("type"), event.get("object") or {}
        meta = obj.get("metadata") or {}
        if type_ == "BOOKMARK":
            self._resource_version = str(meta.get("resourceVersion") or self._resource_version)
            return
        key, entry = self._entry(obj)
        with self._lock:
            change = apply_event(self._store, str(type_), key, entry.resource_version,
                                 entry.value)
            self._resource_version = entry.resource_version or self._resource_version
        if change is not None:
            self._emit([change])

    def _entry(self, obj: dict[str, Any]) -> tuple[str, Entry[T]]:
        meta = obj.get("metadata") or {}
        meta.pop("managedFields", None)
        return object_key(obj), Entry(str(meta.get("resourceVersion", "")),
                                      self._transform(obj))

    def _emit(self, changes: list[Change[T]]) -> None:
        for change in changes:
            try:
                self._on_event(change.type, change.key, change.old, change.new)
            except Exception:  # noqa: BLE001 - one bad callback must not stop the informer
                log.exception("informer %s: on_event failed for %s %s", self.name,
                              change.type, change.key)

    def _close_stream(self) -> None:
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()


def _identity(obj: dict[str, Any]) -> dict[str, Any]:
    return obj
