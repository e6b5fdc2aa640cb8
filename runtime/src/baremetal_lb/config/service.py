"""Which Services are ours, and what a Service asks for (annotations and spec) as a request.

MetalLB facts (controller/service.go `getDesiredLbIPs`, `valueForAnnotation`, `SharingKey`;
internal/k8s/controllers/service_controller.go `filterByLoadBalancerClass`):
- annotations exist as metallb.io/<name> and the deprecated metallb.universe.tf/<name>; when
  both are present the metallb.io one wins, even if empty;
- metallb.io/loadBalancerIPs is a comma-separated list (spaces trimmed) of at most one IPv4
  and one IPv6 address; setting it together with spec.loadBalancerIP is an error;
- an empty annotation value means "not set";
- with a load-balancer class configured, only Services of exactly that class are ours; without
  one, only Services without spec.loadBalancerClass (claim_unclassed decides that here).
A Service that is not of type LoadBalancer is never ours: the caller releases its addresses.
"""

import ipaddress
from collections.abc import Mapping
from typing import Any

from baremetal_lb.allocator import IPAddress, Port, ServiceRequest
from baremetal_lb.config.errors import ConfigError

PREFIXES = ("metallb.io/", "metallb.universe.tf/")
FAMILIES = {"IPv4": 4, "IPv6": 6}


def is_ours(svc: Mapping[str, Any], lb_class: str | None, claim_unclassed: bool) -> bool:
    spec = svc.get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return False
    cls = spec.get("loadBalancerClass")
    if not cls:
        return claim_unclassed
    return lb_class is not None and cls == lb_class


def annotation(annotations: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(full annotation name, stripped value) of metallb.io/<name> or its old prefix, if set."""
    for prefix in PREFIXES:
        if prefix + name in annotations:
            value = str(annotations[prefix + name]).strip()
            return (prefix + name, value) if value else None
    return None


def _parse_ip(text: str, where: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise ConfigError(f"{where}: {text.strip()!r} is not an IP address") from None


def requested_ips(annotations: Mapping[str, str], spec: Mapping[str, Any], where: str) -> tuple[IPAddress, ...]:
    found = annotation(annotations, "loadBalancerIPs")
    legacy = spec.get("loadBalancerIP") or ""
    if found and legacy:
        raise ConfigError(
            f"{where}: both {found[0]} and spec.loadBalancerIP are set; keep only {found[0]}")
    if not found:
        return (_parse_ip(legacy, f"{where}: spec.loadBalancerIP"),) if legacy else ()
    name, value = found
    ips = tuple(_parse_ip(part, f"{where}: annotation {name}") for part in value.split(","))
    if len(ips) > 2:
        raise ConfigError(f"{where}: annotation {name} lists {len(ips)} addresses; "
                          "give at most one IPv4 and one IPv6, separated by a comma")
    if len(ips) == 2 and ips[0].version == ips[1].version:
        raise ConfigError(f"{where}: annotation {name} lists two IPv{ips[0].version} addresses; "
                          "give at most one per family")
    return ips


def _families(spec: Mapping[str, Any], where: str) -> tuple[int, ...]:
    names = spec.get("ipFamilies") or []
    if names:
        if not isinstance(names, list) or any(n not in FAMILIES for n in names):
            raise ConfigError(f"{where}: spec.ipFamilies {names!r} must list IPv4 and/or IPv6")
        return tuple(FAMILIES[n] for n in names)
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    try:
        families = tuple(ipaddress.ip_address(ip).version for ip in cluster_ips if ip != "None")
    except ValueError:
        raise ConfigError(f"{where}: spec.clusterIPs {cluster_ips!r} holds an invalid address") from None
    if not families:
        raise ConfigError(f"{where}: has no spec.ipFamilies and no cluster IP, so its IP family is unknown")
    return families


def _ports(spec: Mapping[str, Any], where: str) -> frozenset[Port]:
    ports = set()
    for i, p in enumerate(spec.get("ports") or []):
        number = p.get("port") if isinstance(p, Mapping) else None
        if isinstance(number, bool) or not isinstance(number, int):
            raise ConfigError(f"{where}: spec.ports[{i}].port {number!r} is not a port number")
        ports.add(Port(number, str(p.get("protocol") or "TCP")))
    return frozenset(ports)


def ingress_ips(svc: Mapping[str, Any]) -> tuple[IPAddress, ...]:
    """The IPs of status.loadBalancer.ingress; hostname-only or unparsable entries are ignored
    (they are not ours)."""
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    ips = []
    for entry in ingress:
        try:
            ips.append(ipaddress.ip_address(str((entry or {}).get("ip") or "")))
        except ValueError:
            continue
    return tuple(ips)


def service_request(svc: Mapping[str, Any], namespace_labels: Mapping[str, str]) -> ServiceRequest:
    meta = svc.get("metadata") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    if not namespace or not name:
        raise ConfigError(f"Service {namespace or '?'}/{name or '?'}: "
                          "metadata.namespace and metadata.name are required")
    where = f"Service {namespace}/{name}"
    spec = svc.get("spec") or {}
    annotations = meta.get("annotations") or {}
    pool = annotation(annotations, "address-pool")
    sharing = annotation(annotations, "allow-shared-ip")
    return ServiceRequest(
        key=f"{namespace}/{name}",
        namespace=namespace,
        labels=dict(meta.get("labels") or {}),
        namespace_labels=dict(namespace_labels),
        pool=pool[1] if pool else None,
        requested_ips=requested_ips(annotations, spec, where),
        families=_families(spec, where),
        family_policy=str(spec.get("ipFamilyPolicy") or "SingleStack"),
        sharing_key=sharing[1] if sharing else None,
        ports=_ports(spec, where),
        local_traffic=spec.get("externalTrafficPolicy") == "Local",
        selector=dict(spec.get("selector") or {}),
        current_ips=ingress_ips(svc),
    )
