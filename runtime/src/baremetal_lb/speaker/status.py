"""ServiceL2Status objects: who announces a Service in layer 2, readable with kubectl
(`kubectl get servicel2statuses -A`). Written by the speaker that becomes the owner, only then,
from a background thread so a slow apiserver never delays an ARP takeover. Nothing a write
raises ends that thread: a failure is logged and counted
(`baremetal_lb_speaker_l2_status_write_failures_total`), and the thread's health is on
/healthz."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

from baremetal_lb.health import ThreadHealth
from baremetal_lb.kube import ApiError, KubeClient, server_side_apply
from baremetal_lb.kube.resources import SERVICE_L2_STATUSES
from baremetal_lb.metrics import SpeakerMetrics

log = logging.getLogger(__name__)
API_VERSION = SERVICE_L2_STATUSES.api_version
MANAGER = "baremetal-lb-speaker"


def l2_status(svc: Mapping[str, Any], node: str, interface: str) -> tuple[dict[str, Any],
                                                                           dict[str, Any]]:
    """The object (owned by the Service, so it goes with it) and its status patch."""
    meta = svc["metadata"]
    obj = {"apiVersion": API_VERSION, "kind": "ServiceL2Status",
           "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                        "labels": {"metallb.io/service-name": meta["name"],
                                   "metallb.io/service-namespace": meta["namespace"]},
                        "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                             "name": meta["name"], "uid": meta["uid"]}]},
           "spec": {}}
    status = {"apiVersion": API_VERSION, "kind": "ServiceL2Status",
              "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
              "status": {"node": node, "serviceName": meta["name"],
                         "serviceNamespace": meta["namespace"],
                         "interfaces": [{"name": interface}]}}
    return obj, status


class StatusWriter:
    def __init__(self, client: KubeClient, node: str, metrics: SpeakerMetrics) -> None:
        self._client = client
        self._node = node
        self._metrics = metrics
        self._queue: queue.Queue[tuple[Mapping[str, Any], str] | None] = queue.Queue(maxsize=10000)
        self.health = ThreadHealth("ServiceL2Status writer")
        self._thread = threading.Thread(target=self._run, name="l2-status", daemon=True)
        self._thread.start()
        self.health.watch(self._thread)

    def owned(self, svc: Mapping[str, Any], interface: str) -> None:
        try:
            self._queue.put_nowait((svc, interface))
        except queue.Full:
            log.warning("ServiceL2Status queue full; %s not recorded",
                        svc["metadata"].get("name"))

    def stop(self) -> None:
        self.health.stopped()
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            self._write(*item)

    def _write(self, svc: Mapping[str, Any], interface: str) -> None:
        what = "ServiceL2Status for {}/{}".format(*(str((svc.get("metadata") or {}).get(k))
                                                  for k in ("namespace", "name")))
        try:
            obj, status = l2_status(svc, self._node, interface)
            server_side_apply(self._client, obj, MANAGER, force=True)
            server_side_apply(self._client, status, MANAGER, force=True, subresource="status")
        except ApiError as exc:
            log.info("%s not written: %s", what, exc)
            self._metrics.status_write_failures.labels(reason="api").inc()
        except Exception:  # noqa: BLE001 - the writer must outlive any one bad write
            log.exception("%s not written", what)
            self._metrics.status_write_failures.labels(reason="unexpected").inc()
