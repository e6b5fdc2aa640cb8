"""BGPPeer, BFDProfile and Community objects (metallb.io) -> the BGP model's values.

Field facts follow MetalLB's internal/config (`peerFromCR`, `bfdProfileFromCR`): durations are
Go durations stored in whole seconds; the hold time defaults to 90 s, the keepalive to a third
of it; a password comes from spec.password or from a kubernetes.io/basic-auth Secret
(spec.passwordSecret), never both; spec.bfdProfile must name a BFDProfile. Fields this speaker
cannot honour (vrf, interface, dynamicASN) make the peer invalid rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address
from typing import Any

from baremetal_lb.allocator import LabelSelector
from baremetal_lb.bgp.model import BfdProfile, Peer
from baremetal_lb.config.errors import ConfigError, ObjectRef, describe, name_of
from baremetal_lb.config.selectors import parse_selectors, selects

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
UNSUPPORTED_PEER_FIELDS = ("vrf", "interface", "dynamicASN")


@dataclass(frozen=True)
class PeerConfig:
    """A BGPPeer: the session it asks for and the nodes that open it."""
    peer: Peer
    ref: ObjectRef
    node_selectors: tuple[LabelSelector, ...] = ()

    def selects_node(self, labels: Mapping[str, str]) -> bool:
        return selects(self.node_selectors, labels)


def duration_seconds(text: Any, field: str) -> int:
    """Go duration ("90s", "1m30s", "3m") in whole seconds, as the BGPPeer CRD stores them."""
    if not isinstance(text, str) or not text or _DURATION_PART.sub("", text):
        raise ConfigError(f"{field} {text!r} is not a duration like '90s' or '1m30s'")
    return int(sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(text)))


def parse_bfd_profile(obj: Mapping[str, Any]) -> BfdProfile:
    spec = obj.get("spec") or {}
    here = describe(obj, "BFDProfile")

    def number(key: str) -> int | None:
        value = spec.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{here}: spec.{key} {value!r} is not a whole number")
        return value

    try:
        return BfdProfile(name=name_of(obj), receive_interval=number("receiveInterval"),
                          transmit_interval=number("transmitInterval"),
                          detect_multiplier=number("detectMultiplier"),
                          echo_interval=number("echoInterval"),
                          echo_mode=bool(spec.get("echoMode", False)),
                          passive_mode=bool(spec.get("passiveMode", False)),
                          minimum_ttl=number("minimumTtl"))
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"{here}: {exc}") from None


def parse_peer(obj: Mapping[str, Any], passwords: Mapping[str, str],
               profiles: Mapping[str, BfdProfile]) -> PeerConfig:
    spec = obj.get("spec") or {}
    here = describe(obj, "BGPPeer")
    for key in UNSUPPORTED_PEER_FIELDS:
        if spec.get(key):
            raise ConfigError(f"{here}: spec.{key} is not supported by this speaker; remove it "
                              "or peer through an address in the default VRF")
    node_selectors = parse_selectors(spec.get("nodeSelectors"), f"{here}: spec.nodeSelectors")
    try:
        address = ip_address(str(spec.get("peerAddress", "")))
    except ValueError:
        raise ConfigError(f"{here}: spec.peerAddress {spec.get('peerAddress')!r} is not an IP "
                          "address") from None
    password = spec.get("password") or None
    secret = spec.get("passwordSecret") or {}
    if secret.get("name"):
        if password:
            raise ConfigError(f"{here}: set spec.password or spec.passwordSecret, not both")
        password = passwords.get(str(secret["name"]))
        if password is None:
            raise ConfigError(f"{here}: spec.passwordSecret {secret['name']!r} was not found or "
                              "has no 'password' key; create the kubernetes.io/basic-auth Secret")
    profile = None
    if spec.get("bfdProfile"):
        profile = profiles.get(str(spec["bfdProfile"]))
        if profile is None:
            raise ConfigError(f"{here}: spec.bfdProfile {spec['bfdProfile']!r} names no "
                              "BFDProfile; create it or remove the reference")
    # MetalLB's defaults: a 90 s hold time, keepalive a third of it.
    hold = duration_seconds(spec["holdTime"], f"{here}: spec.holdTime") \
        if spec.get("holdTime") else 90
    keepalive = duration_seconds(spec["keepaliveTime"], f"{here}: spec.keepaliveTime") \
        if spec.get("keepaliveTime") else None
    connect = duration_seconds(spec["connectTime"], f"{here}: spec.connectTime") \
        if spec.get("connectTime") else None
    try:
        router_id = None
        if spec.get("routerID"):
            parsed = ip_address(str(spec["routerID"]))
            if not isinstance(parsed, IPv4Address):
                raise ConfigError(f"{here}: spec.routerID {spec['routerID']!r} must be IPv4")
            router_id = parsed
        source = ip_address(str(spec["sourceAddress"])) if spec.get("sourceAddress") else None
        peer = Peer(name=name_of(obj), address=address, peer_asn=int(spec.get("peerASN", 0)),
                    my_asn=int(spec.get("myASN", 0)), port=int(spec.get("peerPort", 179)),
                    hold_time=hold, keepalive_time=keepalive, connect_time=connect,
                    password=password, bfd=profile,
                    ebgp_multihop=bool(spec.get("ebgpMultiHop", False)),
                    graceful_restart=bool(spec.get("enableGracefulRestart", False)),
                    source_address=source, router_id=router_id)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"{here}: {exc}") from None
    return PeerConfig(peer, ObjectRef.of(obj, "BGPPeer"), node_selectors)


def password_secret_names(peers: Iterable[Mapping[str, Any]]) -> set[str]:
    """The Secrets that BGPPeers name in spec.passwordSecret: all a speaker needs to read (by
    name, so RBAC can grant exactly those)."""
    names = set()
    for obj in peers:
        secret = (obj.get("spec") or {}).get("passwordSecret") or {}
        name = secret.get("name") if isinstance(secret, Mapping) else None
        if isinstance(name, str) and name:
            names.add(name)
    return names


def community_aliases(objs: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Community objects: alias name -> value, as advertisements may refer to them."""
    aliases = {}
    for obj in objs:
        for item in (obj.get("spec") or {}).get("communities") or []:
            aliases[str(item.get("name"))] = str(item.get("value"))
    return aliases
