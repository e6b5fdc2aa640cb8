"""ARP and NDP codecs against frames captured from the Linux kernel (frames.yaml)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.net import arp, ndp
from baremetal_lb.net.ethernet import (
    BROADCAST,
    ETH_P_ARP,
    MIN_FRAME,
    EthernetFrame,
    PacketError,
    format_mac,
    is_unicast_mac,
    parse_mac,
)

DATA = yaml.safe_load((Path(__file__).parent / "frames.yaml").read_text())
KERNEL = {name: bytes.fromhex(text) for name, text in DATA["kernel"].items()}
NODE2_MAC = parse_mac("02:00:5e:10:00:0c")
CLIENT_MAC = parse_mac("02:00:5e:10:00:03")


@pytest.mark.parametrize("case", DATA["arp_decode"], ids=lambda c: c["frame"])
def test_arp_decodes_kernel_frames(case: dict[str, Any]) -> None:
    decoded = arp.decode_frame(KERNEL[case["frame"]])
    assert decoded is not None
    packet = decoded[1]
    want = case["expect"]
    assert (packet.op, format_mac(packet.sender_mac), str(packet.sender_ip),
            format_mac(packet.target_mac), str(packet.target_ip), packet.is_probe,
            packet.is_announcement) == (want["op"], want["sender_mac"], want["sender_ip"],
                                        want["target_mac"], want["target_ip"], want["probe"],
                                        want["announcement"])


def test_arp_reply_is_byte_identical_to_the_kernels() -> None:
    decoded = arp.decode_frame(KERNEL["arp_request"])
    assert decoded is not None
    assert arp.reply_to(decoded[1], NODE2_MAC) == KERNEL["arp_reply"].ljust(MIN_FRAME, b"\0")


def test_arp_probe_and_announcement_forms() -> None:
    ip = IPv4Address("198.51.100.240")
    probe = arp.decode_frame(arp.probe(NODE2_MAC, ip))
    announce = arp.decode_frame(arp.announcement(NODE2_MAC, ip))
    assert probe is not None and announce is not None
    assert probe[0].dst == BROADCAST and probe[1].is_probe and not probe[1].is_announcement
    assert probe[1].target_ip == ip and probe[1].sender_mac == NODE2_MAC
    assert announce[0].dst == BROADCAST and announce[1].is_announcement
    assert announce[1].op == arp.REQUEST and announce[1].sender_ip == ip


def test_reply_to_a_probe_keeps_the_sender_ip_unspecified() -> None:
    ip = IPv4Address("198.51.100.240")
    request = arp.decode_frame(arp.probe(CLIENT_MAC, ip))
    assert request is not None
    reply = arp.decode_frame(arp.reply_to(request[1], NODE2_MAC))
    assert reply is not None
    assert reply[0].dst == CLIENT_MAC
    assert (reply[1].op, reply[1].sender_ip, reply[1].target_ip) == (arp.REPLY, ip, arp.UNSPECIFIED)


@pytest.mark.parametrize("data", [b"", b"\x00" * 13, KERNEL["arp_request"][:30],
                                  KERNEL["arp_request"][:20] + b"\x00\x09" + KERNEL["arp_request"][22:]])
def test_arp_rejects_short_or_foreign_payloads(data: bytes) -> None:
    assert arp.decode_frame(data) is None


@pytest.mark.parametrize("case", DATA["ndp_decode"], ids=lambda c: c["frame"])
def test_ndp_decodes_kernel_frames(case: dict[str, Any]) -> None:
    packet = ndp.decode(KERNEL[case["frame"]])
    want = case["expect"]
    message = packet.message
    assert (str(packet.src), str(packet.dst), str(message.target)) == \
        (want["src"], want["dst"], want["target"])
    if want["kind"] == "NS":
        assert isinstance(message, ndp.NeighborSolicitation)
        assert message.source_mac is not None and format_mac(message.source_mac) == want["lladdr"]
        assert packet.is_dad == want["dad"]
    else:
        assert isinstance(message, ndp.NeighborAdvertisement)
        assert message.target_mac is not None and format_mac(message.target_mac) == want["lladdr"]
        assert (message.solicited, message.override, message.router) == \
            (want["solicited"], want["override"], want["router"])


def test_solicitation_encoding_is_byte_identical_to_the_kernels() -> None:
    frame = ndp.solicit(CLIENT_MAC, IPv6Address("2001:db8:100::3"), IPv6Address("2001:db8:100::c"))
    assert frame == KERNEL["neighbor_solicitation"]


def test_advert_reply_is_byte_identical_to_the_kernels() -> None:
    ns = ndp.decode(KERNEL["neighbor_solicitation"])
    assert ndp.advertise_reply(ns, NODE2_MAC, IPv6Address("2001:db8:100::c")) == \
        KERNEL["neighbor_advertisement"]


@pytest.mark.parametrize("case", DATA["ndp_reject"], ids=lambda c: c["why"])
def test_ndp_rejects_invalid_frames(case: dict[str, Any]) -> None:
    data = bytearray(KERNEL[case["frame"]])
    if "offset" in case:
        data[case["offset"]] = case["value"]
    if "truncate" in case:
        data = data[:case["truncate"]]
    with pytest.raises(PacketError):
        ndp.decode(bytes(data))
    assert ndp.decode_frame(bytes(data)) is None


def test_dad_probe_and_its_defence() -> None:
    target = IPv6Address("2001:db8:100::f0")
    probe = ndp.decode(ndp.dad_probe(CLIENT_MAC, target))
    assert probe.is_dad and probe.dst == IPv6Address("ff02::1:ff00:f0")
    assert probe.dst_mac == bytes.fromhex("3333ff0000f0")
    assert isinstance(probe.message, ndp.NeighborSolicitation) and probe.message.source_mac is None
    defence = ndp.decode(ndp.advertise_reply(probe, NODE2_MAC, IPv6Address("fe80::1")))
    assert defence.dst == ndp.ALL_NODES and defence.dst_mac == bytes.fromhex("333300000001")
    assert isinstance(defence.message, ndp.NeighborAdvertisement)
    assert not defence.message.solicited and defence.message.override
    assert defence.message.target_mac == NODE2_MAC


@pytest.mark.parametrize("ip, group", [("2001:db8::1:2345:6789", "ff02::1:ff45:6789"),
                                        ("fe80::5eff:fe10:b", "ff02::1:ff10:b")])
def test_solicited_node_group(ip: str, group: str) -> None:
    assert ndp.solicited_node(IPv6Address(ip)) == IPv6Address(group)


def test_checksum_of_a_valid_message_folds_to_zero() -> None:
    ns = KERNEL["neighbor_solicitation"]
    assert ndp.checksum(IPv6Address(ns[22:38]), IPv6Address(ns[38:54]), ns[54:]) == 0


@pytest.mark.parametrize("text", ["02:00:5e:10:00", "zz:00:5e:10:00:0b", "0200.5e10.000b", ""])
def test_parse_mac_names_the_bad_value(text: str) -> None:
    with pytest.raises(ValueError, match="MAC address"):
        parse_mac(text)


def test_mac_helpers_and_padding() -> None:
    assert parse_mac("2-0-5e-10-0-b") == bytes.fromhex("02005e10000b")
    assert is_unicast_mac(NODE2_MAC) and not is_unicast_mac(BROADCAST)
    assert not is_unicast_mac(b"\0" * 6)
    short = EthernetFrame(BROADCAST, NODE2_MAC, ETH_P_ARP, b"x").encode()
    assert len(short) == MIN_FRAME
    with pytest.raises(PacketError):
        EthernetFrame.decode(b"\0" * 10)
