"""Field-level parsing of metallb.io objects for BGP: durations, selectors, pool addresses,
peers and BFD profiles. Each failure is a ValueError whose message names the object and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, ip_address, ip_network, summarize_address_range
from typing import Any

from ..allocator.selectors import OPERATORS, LabelSelector, Requirement
from .model import BfdProfile, IPNetwork, Peer

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
UNSUPPORTED_PEER_FIELDS = ("vrf", "interface", "dynamicASN")


def where(obj: Mapping[str, Any], kind: str) -> str:
    """"BGPPeer ns/name" for messages (items of a LIST carry no kind, so the caller says it)."""
    meta = obj.get("metadata") or {}
    name = f"{meta['namespace']}/{meta.get('name')}" if meta.get("namespace") else meta.get("name")
    return f"{kind} {name}"


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def duration_seconds(text: Any, field: str) -> int:
    """Go duration ("90s", "1m30s", "3m") in whole seconds, as the BGPPeer CRD stores them."""
    if not isinstance(text, str) or not text or _DURATION_PART.sub("", text):
        raise ValueError(f"{field} {text!r} is not a duration like '90s' or '1m30s'")
    return int(sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(text)))


def selector(obj: Mapping[str, Any] | None, field: str) -> LabelSelector:
    obj = obj or {}
    expressions = []
    for i, expr in enumerate(obj.get("matchExpressions") or []):
        if expr.get("operator") not in OPERATORS:
            raise ValueError(f"{field}.matchExpressions[{i}].operator {expr.get('operator')!r} "
                             f"is not one of {', '.join(OPERATORS)}")
        expressions.append(Requirement(str(expr.get("key")), str(expr["operator"]),
                                       tuple(str(v) for v in expr.get("values") or ())))
    return LabelSelector(tuple(sorted((str(k), str(v)) for k, v in
                                      (obj.get("matchLabels") or {}).items())),
                         tuple(expressions))


def selects(selectors: Iterable[Mapping[str, Any]] | None, labels: Mapping[str, str],
            field: str) -> bool:
    """MetalLB's rule for a list of selectors: empty selects everything, otherwise any one."""
    parsed = [selector(s, f"{field}[{i}]") for i, s in enumerate(selectors or [])]
    return not parsed or any(s.matches(labels) for s in parsed)


def pool_networks(pool: Mapping[str, Any]) -> list[IPNetwork]:
    """The CIDRs covering a pool's spec.addresses (ranges split as MetalLB does)."""
    found: list[IPNetwork] = []
    for i, text in enumerate((pool.get("spec") or {}).get("addresses") or []):
        text = str(text).strip()
        try:
            if "-" in text:
                first, last = (ip_address(part.strip()) for part in text.split("-", 1))
                found += summarize_address_range(first, last)
            else:
                found.append(ip_network(text, strict=False))
        except (ValueError, TypeError):
            raise ValueError(f"{where(pool, 'IPAddressPool')}: spec.addresses[{i}] {text!r} "
                             "is not a CIDR or a range a-b") from None
    return found


def bfd_profile(obj: Mapping[str, Any]) -> BfdProfile:
    spec = obj.get("spec") or {}

    def number(key: str) -> int | None:
        value = spec.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{where(obj, 'BFDProfile')}: spec.{key} {value!r} is not a "
                             "whole number")
        return value

    try:
        return BfdProfile(name=name_of(obj), receive_interval=number("receiveInterval"),
                          transmit_interval=number("transmitInterval"),
                          detect_multiplier=number("detectMultiplier"),
                          echo_interval=number("echoInterval"),
                          echo_mode=bool(spec.get("echoMode", False)),
                          passive_mode=bool(spec.get("passiveMode", False)),
                          minimum_ttl=number("minimumTtl"))
    except ValueError as exc:
        raise ValueError(f"{where(obj, 'BFDProfile')}: {exc}") from None


def peer(obj: Mapping[str, Any], passwords: Mapping[str, str],
         profiles: Mapping[str, BfdProfile]) -> Peer:
    spec = obj.get("spec") or {}
    here = where(obj, "BGPPeer")
    for key in UNSUPPORTED_PEER_FIELDS:
        if spec.get(key):
            raise ValueError(f"{here}: spec.{key} is not supported by this speaker; remove it "
                             "or peer through an address in the default VRF")
    try:
        address = ip_address(str(spec.get("peerAddress", "")))
    except ValueError:
        raise ValueError(f"{here}: spec.peerAddress {spec.get('peerAddress')!r} is not an IP "
                         "address") from None
    password = spec.get("password") or None
    secret = spec.get("passwordSecret") or {}
    if secret.get("name"):
        if password:
            raise ValueError(f"{here}: set spec.password or spec.passwordSecret, not both")
        password = passwords.get(str(secret["name"]))
        if password is None:
            raise ValueError(f"{here}: spec.passwordSecret {secret['name']!r} was not found or "
                             "has no 'password' key; create the kubernetes.io/basic-auth Secret")
    profile = None
    if spec.get("bfdProfile"):
        profile = profiles.get(str(spec["bfdProfile"]))
        if profile is None:
            raise ValueError(f"{here}: spec.bfdProfile {spec['bfdProfile']!r} names no "
                             "BFDProfile; create it or remove the reference")
    # MetalLB's defaults: a 90 s hold time, keepalive a third of it.
    hold = duration_seconds(spec["holdTime"], f"{here}: spec.holdTime") \
        if spec.get("holdTime") else 90
    keepalive = duration_seconds(spec["keepaliveTime"], f"{here}: spec.keepaliveTime") \
        if spec.get("keepaliveTime") else None
    connect = duration_seconds(spec["connectTime"], f"{here}: spec.connectTime") \
        if spec.get("connectTime") else None
    router_id = None
    if spec.get("routerID"):
        parsed = ip_address(str(spec["routerID"]))
        if not isinstance(parsed, IPv4Address):
            raise ValueError(f"{here}: spec.routerID {spec['routerID']!r} must be IPv4")
        router_id = parsed
    source = ip_address(str(spec["sourceAddress"])) if spec.get("sourceAddress") else None
    try:
        return Peer(name=name_of(obj), address=address, peer_asn=int(spec.get("peerASN", 0)),
                    my_asn=int(spec.get("myASN", 0)), port=int(spec.get("peerPort", 179)),
                    hold_time=hold, keepalive_time=keepalive, connect_time=connect,
                    password=password, bfd=profile,
                    ebgp_multihop=bool(spec.get("ebgpMultiHop", False)),
                    graceful_restart=bool(spec.get("enableGracefulRestart", False)),
                    source_address=source, router_id=router_id)
    except ValueError as exc:
        raise ValueError(f"{here}: {exc}") from None


def community_aliases(objs: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Community objects: alias name -> value, as advertisements may refer to them."""
    aliases = {}
    for obj in objs:
        for item in (obj.get("spec") or {}).get("communities") or []:
            aliases[str(item.get("name"))] = str(item.get("value"))
    return aliases
