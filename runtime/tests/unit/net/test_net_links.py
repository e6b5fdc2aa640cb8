"""Netlink messages -> Link records, and interface selection."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv6Address, IPv6Interface
from typing import Any

import pytest

from baremetal_lb.net.links import IFF_LOWER_UP, IFF_UP, Link, links_from_messages, select_links, snapshot


class Msg(dict[str, Any]):
    """Stands in for a pyroute2 message: both answer `.get(attribute)`."""


def link(index: int, name: str, mac: str | None, flags: int) -> Msg:
    return Msg(index=index, IFLA_IFNAME=name, IFLA_ADDRESS=mac, flags=flags)


def addr(index: int, text: str, prefix: int, flags: int = 0, local: str | None = None) -> Msg:
    return Msg(index=index, IFA_ADDRESS=text, IFA_LOCAL=local, prefixlen=prefix, flags=flags)


UP = IFF_UP | IFF_LOWER_UP


def test_links_collect_their_usable_addresses() -> None:
    links = links_from_messages(
        [link(1, "lo", "00:00:00:00:00:00", 0x10049), link(7, "eth0", "02:00:5e:10:00:0b", UP),
         link(9, "gre0", "0.0.0.0", UP), link(10, "eth1", "02:00:5e:10:00:0c", IFF_UP)],
        [addr(7, "198.51.100.11", 24), addr(7, "2001:db8:100::b", 64),
         addr(7, "fe80::5eff:fe10:b", 64), addr(7, "2001:db8:100::99", 64, flags=0x40),
         addr(10, "203.0.113.9", 32, local="203.0.113.1")])
    assert set(links) == {"lo", "eth0", "eth1"}          # gre0 has no Ethernet address
    eth0 = links["eth0"]
    assert eth0.up and not eth0.loopback and eth0.mac == bytes.fromhex("02005e10000b")
    assert eth0.ipv4 == (IPv4Interface("198.51.100.11/24"),)
    assert eth0.ipv6 == (IPv6Interface("2001:db8:100::b/64"), IPv6Interface("fe80::5eff:fe10:b/64"))
    assert eth0.link_local == IPv6Address("fe80::5eff:fe10:b")
    assert not links["eth1"].up                           # no carrier
    assert links["eth1"].ipv4 == (IPv4Interface("203.0.113.1/32"),)
    assert links["lo"].loopback and links["lo"].link_local is None


LINKS = {
    name: Link(index, name, bytes(6), flags)
    for index, name, flags in [(1, "lo", 0x10049), (2, "eth0", UP), (3, "eth1", UP),
                               (4, "bond0", UP), (5, "eth1.100", UP)]
}


@pytest.mark.parametrize("patterns, chosen", [
    ([], ["eth0", "eth1", "bond0", "eth1.100"]),
    (["eth*"], ["eth0", "eth1", "eth1.100"]),
    (["eth*", "!eth1.*"], ["eth0", "eth1"]),
    (["!bond0"], ["eth0", "eth1", "eth1.100"]),
    (["lo"], ["lo"]),
    (["nothing*"], []),
])
def test_select_links(patterns: list[str], chosen: list[str]) -> None:
    assert [link.name for link in select_links(LINKS, patterns)] == chosen


def test_snapshot_reads_this_namespace() -> None:
    links = snapshot()
    assert "lo" in links and links["lo"].loopback
