"""Which node announces an IP in layer-2 mode: rendezvous (highest random weight) hashing.
The speaker's side of the work (it moved here from the allocator, which never used it).

Every speaker computes `owner(ip, candidates)` from the same inputs and gets the same answer, so
no API writes or leader are needed. HRW moves only the IPs of a node that leaves (or that a new
node wins), never reshuffles the rest, and spreads IPs evenly over nodes. The weight is
SHA-256(node name, 0x00, packed IP); ties (practically impossible) go to the smaller name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address
from typing import TypeVar

IPAddress = IPv4Address | IPv6Address
IP = TypeVar("IP", IPv4Address, IPv6Address, IPAddress)


def weight(node: str, ip: IPAddress) -> bytes:
    return hashlib.sha256(node.encode() + b"\x00" + ip.packed).digest()


def ranking(ip: IPAddress, candidates: Iterable[str]) -> list[str]:
    """Candidates in order of succession for `ip`: the owner first, then who takes over next."""
    return sorted(set(candidates), key=lambda node: (_negate(weight(node, ip)), node))


def _negate(digest: bytes) -> bytes:
    return bytes(255 - b for b in digest)


def owner(ip: IPAddress, candidates: Iterable[str]) -> str | None:
    """The node that announces `ip` among `candidates`, or None when there is none."""
    best: tuple[bytes, str] | None = None
    for node in set(candidates):
        key = (weight(node, ip), node)
        if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] < best[1]):
            best = key
    return None if best is None else best[1]


def eligible_nodes(alive: Iterable[str], *, allowed: Collection[str] | None = None,
                   endpoint_nodes: Collection[str] | None = None,
                   local_traffic: bool = False) -> frozenset[str]:
    """Nodes that may announce one Service's IP.

    alive: nodes whose speaker is live on the LAN. allowed: nodes the L2Advertisement(s) for the
    IP select (None: every node). endpoint_nodes: nodes with a ready endpoint of the Service
    (None: unknown, do not filter). A Service without any ready endpoint is not announced (nothing
    would answer behind the IP); with externalTrafficPolicy Local only nodes with a local ready
    endpoint qualify, since others would drop the traffic instead of forwarding it."""
    nodes = set(alive)
    if allowed is not None:
        nodes &= set(allowed)
    if endpoint_nodes is not None:
        if not endpoint_nodes:
            return frozenset()
        if local_traffic:
            nodes &= set(endpoint_nodes)
    return frozenset(nodes)


def owned_by(node: str, candidates_by_ip: Mapping[IP, Iterable[str]]) -> frozenset[IP]:
    """The IPs among `candidates_by_ip` that `node` owns."""
    return frozenset(ip for ip, candidates in candidates_by_ip.items()
                     if owner(ip, candidates) == node)
