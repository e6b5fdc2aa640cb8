"""Kubernetes objects of the layer-2 bench: pool + advertisement, Services with a given IP.

No controller takes part: the bench writes each Service's status.loadBalancer itself (the same
for both speakers), and its endpoints as a hand-made EndpointSlice (no selector, so no
controller manages it) with a ready endpoint on every node: both speakers announce only IPs
with something ready behind them, and the slice's owner label keeps kube's EndpointSlice
controller away from it.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _kube import ApiError, Kube
from _speaker_net import NODE_IPS

LB_CLASS = "bench.baremetal.exposure/l2"
METALLB_API = "/apis/metallb.io/v1beta1"


def create_pool(kube: Kube, ns: str, name: str, addresses: list[str],
                advert: dict[str, Any] | None = None) -> None:
    pool = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"addresses": addresses, "autoAssign": False}}
    kube.request("POST", f"{METALLB_API}/namespaces/{ns}/ipaddresspools", pool)
    l2 = {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
          "metadata": {"name": name, "namespace": ns},
          "spec": {"ipAddressPools": [name], **(advert or {})}}
    kube.request("POST", f"{METALLB_API}/namespaces/{ns}/l2advertisements", l2)


def create_l2_service(kube: Kube, ns: str, name: str, ip: str, port: int,
                      nodes: dict[str, str] = NODE_IPS) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
           "spec": {"type": "LoadBalancer", "loadBalancerClass": LB_CLASS,
                    "allocateLoadBalancerNodePorts": False,
                    "ports": [{"name": "echo", "port": port, "protocol": "UDP",
                               "targetPort": port}]}}
    kube.request("POST", f"/api/v1/namespaces/{ns}/services", svc)
    eps = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": f"{name}-bench", "namespace": ns,
                        "labels": {"kubernetes.io/service-name": name,
                                   "endpointslice.kubernetes.io/managed-by":
                                       "bench.baremetal.exposure"}},
           "addressType": "IPv4",
           "endpoints": [{"addresses": [addr], "nodeName": node,
                          "conditions": {"ready": True, "serving": True}}
                         for node, addr in nodes.items()],
           "ports": [{"name": "echo", "port": port, "protocol": "UDP"}]}
    kube.request("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", eps)
    kube.request("PATCH", f"/api/v1/namespaces/{ns}/services/{name}/status",
                 {"status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}},
                 content_type="application/merge-patch+json")


def create_many(kube: Kube, ns: str, ips: list[str], port: int, nodes: dict[str, str],
                workers: int = 16) -> None:
    def one(i: int) -> None:
        create_l2_service(kube, ns, f"s{i:05d}", ips[i], port, nodes)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(len(ips))))


def delete_namespace(kube: Kube, ns: str, timeout: float = 120.0) -> None:
    kube.request("DELETE", f"/api/v1/namespaces/{ns}", ok=(404,))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kube.request("GET", f"/api/v1/namespaces/{ns}")
        except ApiError as exc:
            if exc.status == 404:
                return
            raise
        time.sleep(1.0)
    print(f"namespace {ns} still terminating after {timeout:.0f}s", flush=True)


def _other_swappers() -> list[str]:
    """Other benches that swap the metallb.io CRDs (bench/controller.py) running right now."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(a.endswith(b"bench/controller.py") for a in argv):
                found.append(entry)
    return found


def wait_no_other_swap(timeout: float = 3600.0) -> None:
    """MetalLB's CRDs replace ours cluster-wide; two benches swapping at once would restore
    ours under the other's MetalLB run. Wait until the controller bench is done."""
    deadline = time.monotonic() + timeout
    told = False
    while (pids := _other_swappers()) and time.monotonic() < deadline:
        if not told:
            print(f"waiting for bench/controller.py (pid {', '.join(pids)}) to finish: it swaps "
                  "the metallb.io CRDs too", flush=True)
            told = True
        time.sleep(5.0)
    if pids:
        raise RuntimeError(f"bench/controller.py still running after {timeout:.0f}s")
