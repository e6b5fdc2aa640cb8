"""The lab's services in start order; `down` runs them in reverse."""

from __future__ import annotations

import importlib

from .core import Service

# name -> "module:Class". Imported lazily so `lab status` works while a part is being built.
REGISTRY: dict[str, str] = {
    "topology": "exposure_lab.topology:Topology",
    "frr": "exposure_lab.frr:RouterFrr",
    "kea": "exposure_lab.dhcp:Kea",
    "dnsmasq": "exposure_lab.dhcp:Dnsmasq",
    "kube": "exposure_lab.kube:KubeControlPlane",
    "nodes": "exposure_lab.kube.nodes:KubeNodes",
    "netbox": "exposure_lab.netbox:NetBox",
}

ALL = list(REGISTRY)


def load(name: str) -> Service:
    module_name, class_name = REGISTRY[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    service: Service = cls()
    return service
