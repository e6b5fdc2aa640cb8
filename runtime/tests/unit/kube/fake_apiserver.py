"""An in-memory apiserver for one collection: paged LIST, WATCH with history, compaction
(410) and outages. It fakes the network boundary only, to drive the informer's loop through
every path deterministically; the integration tests run the same paths against the real one."""

from __future__ import annotations

import copy
import queue
import threading
from typing import Any

from baremetal_lb.kube.errors import ApiError, TransportError


class FakeStream:
    def __init__(self, server: FakeApiserver, backlog: list[dict[str, Any]]) -> None:
        self.server = server
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        for event in backlog:
            self.events.put(event)
        self.closed = threading.Event()

    def __iter__(self) -> FakeStream:
        return self

    def __next__(self) -> dict[str, Any]:
        while not self.closed.is_set():
            try:
                event = self.events.get(timeout=0.02)
            except queue.Empty:
                continue
            if event is None:
                break
            if event.get("type") == "ERROR":
                raise ApiError(event["object"]["code"], "Expired", "too old")
            return copy.deepcopy(event)
        raise StopIteration

    def close(self) -> None:
        self.closed.set()


class FakeApiserver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.rv = 100
        self.compacted = 0          # watches from a resourceVersion below this get 410
        self.down = False
        self.streams: list[FakeStream] = []
        self.lists = 0
        self.watches: list[str] = []

    # -- what the tests do to the "cluster" ------------------------------------------

    def put(self, name: str, data: str, *, notify: bool = True) -> None:
        with self.lock:
            self.rv += 1
            kind = "MODIFIED" if name in self.objects else "ADDED"
            obj = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"namespace": "ns", "name": name, "resourceVersion": str(self.rv),
                                "managedFields": [{"manager": "test"}]},
                   "data": {"v": data}}
            self.objects[name] = obj
            self._publish({"type": kind, "object": obj}, notify)

    def delete(self, name: str, *, notify: bool = True) -> None:
        with self.lock:
            self.rv += 1
            obj = dict(self.objects.pop(name))
            obj["metadata"] = dict(obj["metadata"], resourceVersion=str(self.rv))
            self._publish({"type": "DELETED", "object": obj}, notify)

    def bookmark(self) -> None:
        with self.lock:
            self.rv += 1
            self._publish({"type": "BOOKMARK", "object": {
                "kind": "ConfigMap", "metadata": {"resourceVersion": str(self.rv)}}}, True)

    def drop_connections(self) -> None:
        with self.lock:
            streams, self.streams = self.streams, []
        for stream in streams:
            stream.events.put(None)

    def compact(self) -> None:
        with self.lock:
            self.compacted = self.rv + 1

    def _publish(self, event: dict[str, Any], notify: bool) -> None:
        if not notify:
            return                  # a change whose event got lost
        self.history.append(copy.deepcopy(event))
        for stream in self.streams:
            stream.events.put(copy.deepcopy(event))

    # -- the KubeClient surface the informer uses ------------------------------------

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                content_type: str = "", timeout: float | None = None,
                retry: bool = True) -> dict[str, Any]:
        assert method == "GET"
        with self.lock:
            if self.down:
                raise TransportError("connection refused", path)
            self.lists += 1
            names = sorted(self.objects)
            start = int(params.get("continue", "0"))
            limit = int(params["limit"])
            page = names[start:start + limit]
            items = []
            for name in page:
                item = copy.deepcopy(self.objects[name])
                del item["kind"], item["apiVersion"]     # as the apiserver lists them
                items.append(item)
            meta: dict[str, Any] = {"resourceVersion": str(self.rv)}
            if start + limit < len(names):
                meta["continue"] = str(start + limit)
            return {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": meta,
                    "items": items}

    def watch(self, path: str, *, resource_version: str, timeout_seconds: int = 300,
              params: Any = None) -> FakeStream:
        with self.lock:
            if self.down:
                raise TransportError("connection refused", path)
            self.watches.append(resource_version)
            if int(resource_version) < self.compacted:
                raise ApiError(410, "Expired", f"too old resource version: {resource_version}")
            backlog = [e for e in self.history
                       if int(e["object"]["metadata"]["resourceVersion"]) > int(resource_version)]
            stream = FakeStream(self, backlog)
            self.streams.append(stream)
            return stream
