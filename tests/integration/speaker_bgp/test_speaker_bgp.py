"""The speaker's BGP engine against the lab router: FrrEngine driving a real FRR per node.

Sessions with MD5 and BFD, ECMP from two nodes, communities and local preference, announcement
changes without session resets, withdrawals, a cut link noticed by BFD within a second, and
IPv6. Pool addresses: 203.0.113.240-250 and 2001:db8:ffff::/124.
"""

from __future__ import annotations

from pathlib import Path

from exposure_lab import Lab
from exposure_lab.core import wait_for
from exposure_lab.frr import FrrInstance

from bgp_lab import EBGP_NODES, IBGP_NODE, PASSWORD, NodeSpeaker, RouterSide

GOLDEN = Path(__file__).parents[3] / "runtime" / "tests" / "unit" / "bgp" / "golden"


def test_golden_configs_are_what_frr_prints(lab: Lab) -> None:
    """Rendered lines match FRR's own, so frr-reload.py finds nothing to change afterwards
    (run on the client host: its router has no neighbour for it, nothing is disturbed)."""
    frr = FrrInstance(lab, "frr-client-bgpgold", lab.config.host("client").netns)
    frr.start("frr defaults traditional\nlog stdout informational\n!\n")
    try:
        for golden in sorted(GOLDEN.glob("*.conf")):
            lab.run(frr.reload_argv(golden, "--reload"), check=False)
            test = lab.run(frr.reload_argv(golden, "--test"))
            changes = [line for line in test.stdout.splitlines()
                       if line.strip() and not line.startswith(("Lines To", "=", "no hostname"))]
            assert changes == [], f"{golden.name}: frr-reload.py still wants {changes}"
    finally:
        frr.stop()


def test_sessions_established_with_password_and_bfd(
        router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    addresses = [s.address for s in speakers.values()] + \
        [speakers[n].address6 for n in EBGP_NODES]
    router.wait_established(addresses)
    for speaker in speakers.values():
        states = speaker.engine.peer_states()
        assert states and all(s.established for s in states.values()), states
    wait_for("router BFD sessions up",
             lambda: all(router.bfd_peers().get(a) == "up" for a in addresses), timeout=15,
             on_timeout=lambda: str(router.bfd_peers()))
    wait_for("node BFD sessions up", lambda: all(
        s.bfd_state == "up" for sp in speakers.values() for s in sp.engine.peer_states().values()),
        timeout=15)
    # Both ends hold the password, so the sessions above are TCP-MD5 signed (the router's
    # `show bgp neighbors` says "Peer Authentication Enabled").
    for speaker in speakers.values():
        assert "Peer Authentication Enabled" in router.frr.vtysh(
            f"show bgp neighbors {speaker.address}")
        assert f"password {PASSWORD}" in speaker.engine.conf.read_text()


def test_ecmp_from_two_nodes(router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    for node in EBGP_NODES:
        speakers[node].announce("203.0.113.240")
    hops = {speakers[n].address for n in EBGP_NODES}
    seconds = router.wait_next_hops("203.0.113.240/32", hops)
    print(f"\nECMP via {sorted(hops)} after {seconds * 1000:.0f} ms")
    paths = router.bgp_path("203.0.113.240/32")
    assert sum(1 for p in paths if p.get("multipath") or p.get("bestpath")) == 2, paths


def test_communities_and_local_pref_arrive(router: RouterSide,
                                           speakers: dict[str, NodeSpeaker]) -> None:
    ibgp = speakers[IBGP_NODE]
    ibgp.announce("203.0.113.241")
    router.wait_next_hops("203.0.113.241/32", {ibgp.address})
    (path,) = router.bgp_path("203.0.113.241/32")
    assert path["locPrf"] == 250
    assert path["community"]["string"] == "64512:100"
    assert path["largeCommunity"]["string"] == "64513:1:2"
    # eBGP carries the communities too (local preference is iBGP-only by design of BGP).
    for path in router.bgp_path("203.0.113.240/32"):
        assert path["community"]["string"] == "64512:100"


def test_announcement_changes_do_not_reset_sessions(
        router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    node = speakers["node1"]
    before = {n: router.neighbor(s.address)["connectionsEstablished"]
              for n, s in speakers.items()}
    states = node.engine.peer_states()
    reloads = node.engine.full_reloads
    for last in range(242, 247):
        node.announce("203.0.113.240", *(f"203.0.113.{i}" for i in range(242, last + 1)))
    router.wait_next_hops("203.0.113.246/32", {node.address})
    node.announce("203.0.113.240")
    router.wait_next_hops("203.0.113.246/32", set())
    after = {n: router.neighbor(s.address)["connectionsEstablished"] for n, s in speakers.items()}
    assert after == before
    assert node.engine.full_reloads == reloads, "announcement changes went through a reload"
    for name, state in node.engine.peer_states().items():
        assert state.established_count == states[name].established_count
        assert state.uptime_ms is not None and states[name].uptime_ms is not None
        assert state.uptime_ms >= states[name].uptime_ms


def test_withdrawal_when_the_announcement_goes(router: RouterSide,
                                               speakers: dict[str, NodeSpeaker]) -> None:
    node1, node2 = (speakers[n] for n in EBGP_NODES)
    router.wait_next_hops("203.0.113.240/32", {node1.address, node2.address})
    node1.announce()
    one = router.wait_next_hops("203.0.113.240/32", {node2.address})
    node2.announce()
    gone = router.wait_next_hops("203.0.113.240/32", set())
    print(f"\nwithdrawn from one node in {one * 1000:.0f} ms, from the last in "
          f"{gone * 1000:.0f} ms")
    assert router.bgp_path("203.0.113.240/32") == []


def test_ipv6_announcement(router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    hops = set()
    for node in EBGP_NODES:
        speakers[node].announce("2001:db8:ffff::1")
        hops.add(speakers[node].link_local())
    router.wait_next_hops("2001:db8:ffff::1/128", hops)
    paths = router.bgp_path("2001:db8:ffff::1/128")
    assert {p["nexthops"][0]["ip"] for p in paths} == {speakers[n].address6 for n in EBGP_NODES}
    for node in EBGP_NODES:
        speakers[node].announce()
    router.wait_next_hops("2001:db8:ffff::1/128", set())


def test_cut_link_is_noticed_by_bfd_within_a_second(
        lab: Lab, router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    node1, node2 = (speakers[n] for n in EBGP_NODES)
    for node in (node1, node2):
        node.announce("203.0.113.250")
    router.wait_next_hops("203.0.113.250/32", {node1.address, node2.address})
    port = "v-node1"   # node1's cable into the LAN bridge: nothing leaves node1 to say goodbye
    lab.run(["ip", "link", "set", port, "down"], netns=lab.config.lan_netns)
    try:
        seconds = router.wait_next_hops("203.0.113.250/32", {node2.address}, timeout=5,
                                        interval=0.005)
    finally:
        lab.run(["ip", "link", "set", port, "up"], netns=lab.config.lan_netns)
    print(f"\nnode1's next hop gone {seconds * 1000:.0f} ms after its link was cut "
          "(BFD 3 x 100 ms)")
    assert seconds < 1.0
    # Back on the wire, node1 re-establishes and its next hop returns by itself.
    router.wait_established([node1.address])
    router.wait_next_hops("203.0.113.250/32", {node1.address, node2.address}, timeout=30)
    for node in (node1, node2):
        node.announce()


def test_changed_attributes_of_an_announced_prefix_reach_the_router(
        router: RouterSide, speakers: dict[str, NodeSpeaker]) -> None:
    """A prefix that stays announced but gets other communities: bgpd does not re-run outbound
    policy for it by itself (FRR 8.4), so the engine re-originates it; the router must see the
    new communities (it kept the old ones before)."""
    node = speakers["node1"]
    advert = node.objects["advertisements"][0]["spec"]
    saved = list(advert["communities"])
    prefix = "203.0.113.247/32"

    def communities() -> list[str]:
        return [p.get("community", {}).get("string") for p in router.bgp_path(prefix)]

    try:
        advert["communities"] = ["64512:1"]
        node.announce("203.0.113.247")
        router.wait_next_hops(prefix, {node.address}, timeout=30)
        wait_for("router sees 64512:1", lambda: communities() == ["64512:1"], timeout=10)
        advert["communities"] = ["64512:2"]
        node.announce("203.0.113.247")
        wait_for("router sees 64512:2", lambda: communities() == ["64512:2"], timeout=10,
                 on_timeout=lambda: str(router.bgp_path(prefix)))
    finally:
        advert["communities"] = saved
        node.announce()
