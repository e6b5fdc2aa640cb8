"""ServiceL2Status objects: who announces a Service in layer 2, readable with kubectl
(`kubectl get servicel2statuses -A`). Written by the speaker that becomes the owner, only then,
from a background thread so a slow apiserver never delays an ARP takeover."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

from baremetal_lb.kube import ApiError, KubeClient, server_side_apply
from baremetal_lb.kube.resources import SERVICE_L2_STATUSES

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
    def __init__(self, client: KubeClient, node: str) -> None:
        self._client = client
        self._node = node
        self._queue: queue.Queue[tuple[Mapping[str, Any], str] | None] = queue.Queue(maxsize=10000)
        self._thread = threading.Thread(target=self._run, name="l2-status", daemon=True)
        self._thread.start()

    def owned(self, svc: Mapping[str, Any], interface: str) -> None:
        try:
            self._queue.put_nowait((svc, interface))
        except queue.Full:
            log.warning("ServiceL2Status queue full; %s not recorded",
                        svc["metadata"].get("name"))

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            svc, interface = item
            obj, status = l2_status(svc, self._node, interface)
            try:
                server_side_apply(self._client, obj, MANAGER, force=True)
                server_side_apply(self._client, status, MANAGER, force=True,
                                  subresource="status")
            except ApiError as exc:
                log.info("ServiceL2Status for %s/%s not written: %s",
                         svc["metadata"]["namespace"], svc["metadata"]["name"], exc)
