"""Validation of the BGP model: each bad value is refused with a message naming it."""

from __future__ import annotations

from typing import Any

import bgp_yaml
import pytest

PEER = {"name": "r", "address": "198.51.100.1", "peer_asn": 64512, "my_asn": 64513}
BAD = [
    ({"peers": [{**PEER, "name": "has space"}]}, "BGP peer name 'has space'"),
    ({"peers": [{**PEER, "peer_asn": 0}]}, "peer_asn 0 is not an AS number"),
    ({"peers": [{**PEER, "hold_time": 2}]}, "hold time 2s must be 0 or 3-65535"),
    ({"peers": [{**PEER, "keepalive_time": 5}]}, "keepalive 5s needs a hold time"),
    ({"peers": [{**PEER, "hold_time": 9, "keepalive_time": 10}]}, "must not exceed it"),
    ({"peers": [{**PEER, "password": "two words"}]}, "without spaces"),
    ({"peers": [{**PEER, "source_address": "2001:db8::1"}]}, "different IP families"),
    ({"peers": [{**PEER, "bfd": {"name": "f", "receive_interval": 5}}]},
     "receive_interval 5 is outside 10-60000"),
    ({"peers": [PEER, {**PEER, "name": "s"}]}, "share an address"),
    ({"peers": [PEER, {**PEER, "address": "198.51.100.2"}]}, "names must be unique"),
    ({"peers": [{**PEER, "bfd": {"name": "f"}},
                {**PEER, "name": "s", "address": "198.51.100.2",
                 "bfd": {"name": "f", "echo_mode": True}}]}, "two different definitions"),
    ({"peers": [PEER], "announcements": [{"prefix": "203.0.113.1/32", "peers": ["x"]}]},
     "names unknown peers"),
    ({"announcements": [{"prefix": "203.0.113.1/32", "communities": ["65536:1"]}]},
     "both halves of AA:NN"),
    ({"announcements": [{"prefix": "203.0.113.1/32", "communities": ["no-export"]}]},
     "neither AA:NN"),
    ({"announcements": [{"prefix": "203.0.113.1/32", "communities": ["large:1:2:4294967296"]}]},
     "each part must be 0-4294967295"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[m for _, m in BAD])
def test_invalid_values_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bgp_yaml.config({"router_id": "198.51.100.11", "asn": 64513, **data})


def test_keepalive_defaults_to_a_third_of_the_hold_time() -> None:
    peer = bgp_yaml.peer({**PEER, "hold_time": 90})
    assert peer.effective_keepalive() == 30
    assert bgp_yaml.peer(PEER).effective_keepalive() is None


def test_a_peers_password_is_never_in_its_repr() -> None:
    from ipaddress import ip_address

    from baremetal_lb.bgp.model import BgpConfig, Peer
    peer = Peer("router", ip_address("198.51.100.1"), 64512, 64513, password="Sup3r-S3cret")
    assert "Sup3r-S3cret" not in repr(peer)
    assert "Sup3r-S3cret" not in repr(BgpConfig(None, 64513, (peer,)))
    assert peer != Peer("router", ip_address("198.51.100.1"), 64512, 64513, password="other")
