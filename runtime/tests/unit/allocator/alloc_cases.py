"""Build allocator inputs from the compact YAML notation of the case files (see cases/README)."""

import ipaddress
from collections.abc import Mapping
from typing import Any

from baremetal_lb.allocator import Assignment, IPAddress, LabelSelector, Pool, Port, Requirement, ServiceRequest


def ip_range(text: str) -> tuple[IPAddress, IPAddress]:
    if "-" in text:
        first, last = text.split("-")
        return ipaddress.ip_address(first), ipaddress.ip_address(last)
    if "/" in text:
        net = ipaddress.ip_network(text)
        return net.network_address, net.broadcast_address
    ip = ipaddress.ip_address(text)
    return ip, ip


def selector(obj: Mapping[str, Any]) -> LabelSelector:
    return LabelSelector(
        tuple(sorted((obj.get("matchLabels") or {}).items())),
        tuple(Requirement(e["key"], e["operator"], tuple(e.get("values") or ()))
              for e in obj.get("matchExpressions") or ()),
    )


def pool(obj: Mapping[str, Any]) -> Pool:
    return Pool(
        name=obj["name"],
        ranges=tuple(ip_range(r) for r in obj["ranges"]),
        auto_assign=obj.get("auto_assign", True),
        avoid_buggy_ips=obj.get("avoid_buggy_ips", False),
        priority=obj.get("priority"),
        namespaces=frozenset(obj.get("namespaces") or ()),
        namespace_selectors=tuple(selector(s) for s in obj.get("namespace_selectors") or ()),
        service_selectors=tuple(selector(s) for s in obj.get("service_selectors") or ()),
    )


def port(text: str) -> Port:
    protocol, number = text.split("/")
    return Port(int(number), protocol)


def request(obj: Mapping[str, Any]) -> ServiceRequest:
    key = obj["key"]
    return ServiceRequest(
        key=key,
        namespace=key.split("/")[0],
        labels=obj.get("labels") or {},
        namespace_labels=obj.get("namespace_labels") or {},
        pool=obj.get("pool"),
        requested_ips=tuple(ipaddress.ip_address(i) for i in obj.get("requested") or ()),
        families=tuple(obj.get("families", (4,))),
        family_policy=obj.get("policy", "SingleStack"),
        sharing_key=obj.get("sharing"),
        ports=frozenset(port(p) for p in obj.get("ports", ["TCP/80"])),
        local_traffic=obj.get("local", False),
        selector=obj.get("selector") or {},
        current_ips=tuple(ipaddress.ip_address(i) for i in obj.get("current") or ()),
    )


def assignment(obj: Mapping[str, Any] | None) -> Assignment | None:
    if obj is None:
        return None
    return Assignment(obj["pool"], tuple(ipaddress.ip_address(i) for i in obj["ips"]))
