"""Builds bgp.model values from the plain YAML of the test cases."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address, ip_network
from pathlib import Path
from typing import Any

import yaml

from baremetal_lb.bgp.model import Announcement, BfdProfile, BgpConfig, Peer

HERE = Path(__file__).parent


def load(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text())


def peer(data: dict[str, Any]) -> Peer:
    fields = dict(data)
    fields["address"] = ip_address(fields["address"])
    if fields.get("source_address"):
        fields["source_address"] = ip_address(fields["source_address"])
    if fields.get("router_id"):
        fields["router_id"] = ip_address(fields["router_id"])
    if fields.get("bfd"):
        fields["bfd"] = BfdProfile(**fields["bfd"])
    return Peer(**fields)


def announcement(data: dict[str, Any] | str) -> Announcement:
    if isinstance(data, str):
        return Announcement(ip_network(data))
    peers = data.get("peers")
    return Announcement(prefix=ip_network(data["prefix"]),
                        communities=tuple(data.get("communities", ())),
                        local_pref=data.get("local_pref"),
                        peers=frozenset(peers) if peers is not None else None)


def config(data: dict[str, Any]) -> BgpConfig:
    router_id = IPv4Address(data["router_id"]) if data.get("router_id") else None
    return BgpConfig(router_id=router_id,
                     asn=data.get("asn", 0),
                     peers=tuple(peer(p) for p in data.get("peers", ())),
                     announcements=tuple(announcement(a) for a in data.get("announcements", ())))


def describe(a: Announcement) -> str:
    """One line per announcement, for expectations: prefix [communities] lp=N ->peers."""
    text = str(a.prefix)
    if a.communities:
        text += " [" + " ".join(a.communities) + "]"
    if a.local_pref is not None:
        text += f" lp={a.local_pref}"
    if a.peers is not None:
        text += " ->" + ",".join(sorted(a.peers))
    return text
