"""A conflict caused only by a peer speaker's probe is retried as soon as the peer is known."""

from __future__ import annotations

from ipaddress import IPv4Address

from baremetal_lb.layer2.state import CONFLICT, PROBING, AnnounceConfig, InterfaceState
from baremetal_lb.net import arp

OURS = bytes.fromhex("02000000000b")
PEER = bytes.fromhex("02000000000c")
STRANGER = bytes.fromhex("0200000000ff")
VIP = IPv4Address("198.51.100.240")


def _conflicted_by(mac: bytes) -> InterfaceState:
    state = InterfaceState("eth0", OURS, None, AnnounceConfig())
    state.set_owned([VIP], now=0.0)
    state.due(0.0)                                   # our first probe
    state.handle(arp.probe(mac, VIP), 0.01)         # someone else probes the same IP
    assert state.states()[VIP] == CONFLICT
    return state


def test_a_peers_probe_is_forgiven_once_the_peer_is_known() -> None:
    state = _conflicted_by(PEER)
    state.set_friendly(frozenset({PEER}), 0.02)
    assert state.states()[VIP] == PROBING
    assert state.due(0.02), "probing should restart at once"


def test_a_strangers_probe_still_holds_the_ip_back() -> None:
    state = _conflicted_by(STRANGER)
    state.set_friendly(frozenset({PEER}), 0.02)
    assert state.states()[VIP] == CONFLICT
