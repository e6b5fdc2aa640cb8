"""InterfaceState with a fake clock: silence for non-owned IPs, probing, bursts, conflicts."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from baremetal_lb.layer2.state import ANNOUNCING, CONFLICT, PROBING, AnnounceConfig, InterfaceState
from baremetal_lb.net import arp, ndp

ME = bytes.fromhex("02005e10000b")
PEER = bytes.fromhex("02005e10000c")
CLIENT = bytes.fromhex("02005e100003")
SQUATTER = bytes.fromhex("02005e1000ee")
V4 = IPv4Address("198.51.100.240")
V4_OTHER = IPv4Address("198.51.100.241")
V6 = IPv6Address("2001:db8:100::f0")
LL = IPv6Address("fe80::5eff:fe10:b")
CLIENT_IP = IPv4Address("198.51.100.3")
CLIENT_IP6 = IPv6Address("2001:db8:100::3")
CFG = AnnounceConfig(probe_count=2, probe_interval=0.05, probe_wait=0.15,
                     burst=(0.0, 0.1, 0.3), conflict_retry=5.0)


def state(ips: list[IPv4Address | IPv6Address], probe: bool = True) -> InterfaceState:
    s = InterfaceState("eth0", ME, LL, CFG)
    s.set_owned(ips, 0.0, probe)
    return s


def run(s: InterfaceState, until: float, step: float = 0.01) -> list[tuple[float, bytes]]:
    sent, t = [], 0.0
    while t <= until + 1e-9:
        sent += [(round(t, 3), f) for f in s.due(t)]
        t += step
    return sent


def who_has(ip: IPv4Address) -> bytes:
    return arp.request(CLIENT, CLIENT_IP, ip)


def test_probes_then_announces_with_a_burst() -> None:
    s = state([V4])
    sent = run(s, 1.0)
    assert [(t, f) for t, f in sent] == [
        (0.0, arp.probe(ME, V4)), (0.05, arp.probe(ME, V4)),
        (0.2, arp.announcement(ME, V4)), (0.3, arp.announcement(ME, V4)),
        (0.5, arp.announcement(ME, V4))]
    assert s.states() == {V4: ANNOUNCING}
    assert s.next_deadline() is None


def test_answers_only_while_announcing_and_only_for_owned_ips() -> None:
    s = state([V4])
    s.due(0.0)
    assert s.handle(who_has(V4), 0.01) == ([], [])                  # still probing: silent
    run(s, 0.3)
    request = arp.decode_frame(who_has(V4))
    assert request is not None
    assert s.handle(who_has(V4), 0.4) == ([arp.reply_to(request[1], ME)], [])
    assert s.handle(who_has(V4_OTHER), 0.4) == ([], [])
    s.set_owned([], 0.5)
    assert s.handle(who_has(V4), 0.6) == ([], [])
    assert s.due(10.0) == [] and s.states() == {}


def test_without_probe_announces_immediately() -> None:
    s = state([V4], probe=False)
    assert s.due(0.0) == [arp.announcement(ME, V4)]
    assert s.states() == {V4: ANNOUNCING}


def test_foreign_reply_during_probe_is_a_conflict_and_blocks_announcing() -> None:
    s = state([V4])
    s.due(0.0)
    squatter_reply = arp.frame(SQUATTER, ME, arp.ArpPacket(arp.REPLY, SQUATTER, V4, ME,
                                                           arp.UNSPECIFIED))
    replies, conflicts = s.handle(squatter_reply, 0.01)
    assert replies == [] and [(c.ip, c.mac, c.phase, c.kind) for c in conflicts] == \
        [(V4, SQUATTER, PROBING, "reply")]
    assert s.states() == {V4: CONFLICT}
    assert s.due(4.9) == [] and s.handle(who_has(V4), 4.9) == ([], [])
    assert s.due(5.02) == [arp.probe(ME, V4)]                       # retried after the back-off
    assert s.states() == {V4: PROBING}


def test_peer_speakers_are_not_foreign() -> None:
    s = state([V4])
    s.friendly = frozenset({PEER})
    s.due(0.0)
    assert s.handle(arp.announcement(PEER, V4), 0.01) == ([], [])
    assert s.states() == {V4: PROBING}


def test_simultaneous_probe_by_another_host_is_a_conflict() -> None:
    s = state([V4])
    s.due(0.0)
    _, conflicts = s.handle(arp.probe(SQUATTER, V4), 0.01)
    assert [(c.kind, c.phase) for c in conflicts] == [("probe", PROBING)]


def test_while_announcing_foreign_claims_are_reported_and_probes_defended() -> None:
    s = state([V4], probe=False)
    s.due(0.0)
    replies, conflicts = s.handle(arp.announcement(SQUATTER, V4), 0.1)
    assert replies == [] and [(c.mac, c.phase, c.kind) for c in conflicts] == \
        [(SQUATTER, ANNOUNCING, "reply")]
    using = arp.request(SQUATTER, V4, CLIENT_IP)                   # squatter uses our IP as source
    assert [c.kind for c in s.handle(using, 0.2)[1]] == ["reply"]
    probe = arp.decode_frame(arp.probe(SQUATTER, V4))
    assert probe is not None
    replies, conflicts = s.handle(arp.probe(SQUATTER, V4), 0.3)
    assert replies == [arp.reply_to(probe[1], ME)] and [c.kind for c in conflicts] == ["probe"]
    assert s.states() == {V4: ANNOUNCING}


def test_own_frames_are_ignored() -> None:
    s = state([V4], probe=False)
    assert s.handle(arp.announcement(ME, V4), 0.0) == ([], [])
    assert s.handle(arp.probe(ME, V4), 0.0) == ([], [])


def test_mac_change_announces_again() -> None:
    s = state([V4], probe=False)
    run(s, 1.0)
    assert s.due(2.0) == []
    new = bytes.fromhex("02005e1000aa")
    s.update_link(new, LL, 2.0)
    assert s.due(2.0) == [arp.announcement(new, V4)]


def test_late_tick_sends_one_frame_not_the_whole_burst() -> None:
    s = state([V4], probe=False)
    assert s.due(5.0) == [arp.announcement(ME, V4)]
    assert s.due(6.0) == []


def test_ipv6_probe_announce_and_answer() -> None:
    s = state([V6])
    sent = [f for _, f in run(s, 0.25)]
    assert sent[:2] == [ndp.dad_probe(ME, V6)] * 2
    assert sent[2] == ndp.unsolicited_advert(ME, LL, V6)
    ns = ndp.solicit(CLIENT, CLIENT_IP6, V6)
    replies, conflicts = s.handle(ns, 0.3)
    assert replies == [ndp.advertise_reply(ndp.decode(ns), ME, LL)] and conflicts == []
    assert s.handle(ndp.solicit(CLIENT, CLIENT_IP6, IPv6Address("2001:db8:100::f1")), 0.3) == ([], [])


def test_ipv6_foreign_advert_during_dad_is_a_conflict() -> None:
    s = state([V6])
    s.due(0.0)
    na = ndp.unsolicited_advert(SQUATTER, IPv6Address("fe80::ee"), V6)
    _, conflicts = s.handle(na, 0.01)
    assert [(c.mac, c.phase, c.kind) for c in conflicts] == [(SQUATTER, PROBING, "reply")]
    assert s.states() == {V6: CONFLICT}


def test_ipv6_dad_by_another_host_is_defended_while_announcing() -> None:
    s = state([V6], probe=False)
    s.due(0.0)
    replies, conflicts = s.handle(ndp.dad_probe(SQUATTER, V6), 0.1)
    assert replies == [ndp.unsolicited_advert(ME, LL, V6)]
    assert [c.kind for c in conflicts] == ["probe"]


def test_ipv6_without_link_local_answers_from_the_target() -> None:
    s = InterfaceState("eth0", ME, None, CFG)
    s.set_owned([V6], 0.0, probe=False)
    packet = ndp.decode(s.due(0.0)[0])
    assert packet.src == V6


@pytest.mark.parametrize("kwargs", [{"probe_count": -1}, {"burst": ()}, {"burst": (0.5, 0.1)},
                                    {"burst": (-1.0,)}])
def test_config_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AnnounceConfig(**kwargs)  # type: ignore[arg-type]
