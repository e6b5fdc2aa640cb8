"""router_bgp against the lab router (FRR 8.4) with real BGP peers in the node namespaces.

The tests run in file order and share one configured router (module fixtures); each leaves
the router as the role configures it by default.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.core import wait_for
from exposure_lab.frr import FrrInstance

from conftest import (
    PASSWORD,
    PLAYBOOK,
    POOL_CIDRS,
    PREFLIGHT_PLAYBOOK,
    ROGUE_IPV4,
    Peer,
    bgp_settings,
    plan,
    wait_established,
)

ECMP = "203.0.113.10/32"
OUTSIDE = "203.0.113.200/32"
COVERING = "203.0.113.0/24"
ROGUE_ROUTE = "203.0.113.20/32"
NEW_POOL = "203.0.113.128/28"
NEW_ROUTE = "203.0.113.130/32"
UNRELATED = ["ip route 192.0.2.0/24 blackhole", "router bgp 64512",
             "neighbor 192.0.2.99 remote-as 65099", "neighbor 192.0.2.99 description unrelated"]
TASK = "baremetal.exposure.router_bgp : Configure the router's BGP peers and prefix filters"


def node_ips(lab: Lab) -> list[str]:
    return [lab.config.host(n).ipv4 for n in ("node1", "node2", "node3")]


def run_role(ansible: Any, lab: Lab, cidrs: list[str] | None = None, check: bool = False,
             **bgp: Any) -> Any:
    """The role alone, with the plan the preflight would have made (it reads only the plan, and
    the password from exposure_bgp)."""
    started = time.monotonic()
    settings = bgp_settings(**bgp)
    result = ansible.playbook(PLAYBOOK, check=check, diff=True, extra_vars={
        "exposure_plan": plan(lab, cidrs, settings), "exposure_bgp": settings})
    result.seconds = time.monotonic() - started
    return result


def bgp_routes(router: FrrInstance) -> dict[str, Any]:
    return router.vtysh_json("show bgp ipv4 unicast json").get("routes", {})


@pytest.fixture(scope="module")
def configured(lab: Lab, ansible: Any, router: FrrInstance, peers: dict[str, Peer]) -> Any:
    lab.run(router.vtysh_argv("configure terminal", UNRELATED[0], *UNRELATED[1:]),
            netns=router.netns)
    peers["node1"].set([ECMP, OUTSIDE, COVERING, NEW_ROUTE])
    peers["node2"].set([ECMP])
    peers["node3"].set(["203.0.113.70/32"])
    peers["rogue"].set([ROGUE_ROUTE])
    result = run_role(ansible, lab)
    assert result.rc == 0, result.failure_messages() or result.stderr
    return result


def test_preflight_fails_before_touching_the_router(lab: Lab, ansible: Any, router: FrrInstance):
    """exposure_bgp is checked by the address_plan preflight, before any stage runs."""
    before = router.vtysh("show running-config")
    result = ansible.playbook(PREFLIGHT_PLAYBOOK, extra_vars={
        "exposure_bgp": bgp_settings(cluster_asn=0)})
    assert result.rc != 0
    assert any("exposure_bgp.cluster_asn = 0" in m for m in result.failure_messages())
    result = ansible.playbook(PREFLIGHT_PLAYBOOK, extra_vars={
        "exposure_bgp": bgp_settings(password="")})
    assert any("exposure_bgp.password is not set" in m for m in result.failure_messages())
    result = ansible.playbook(PREFLIGHT_PLAYBOOK, extra_vars={
        "exposure_bgp": bgp_settings(password="has a space")})
    assert any("exposure_bgp.password contains a space" in m for m in result.failure_messages())
    assert "has a space" not in result.stdout + result.stderr
    assert router.vtysh("show running-config") == before


def test_every_node_session_established(lab: Lab, configured: Any, router: FrrInstance):
    assert configured.changed >= 1
    wait_established(router, node_ips(lab))
    peers = router.bgp_neighbors()
    assert all(peers[ip]["state"] == "Established" for ip in node_ips(lab))


def test_unrelated_config_survives(configured: Any, router: FrrInstance):
    running = router.vtysh("show running-config")
    assert "ip route 192.0.2.0/24 blackhole" in running
    assert "neighbor 192.0.2.99 remote-as 65099" in running
    assert "neighbor 192.0.2.99 description unrelated" in running


def test_pool_host_route_from_two_nodes_is_ecmp(lab: Lab, configured: Any, router: FrrInstance):
    def two_hops():
        routes = router.vtysh_json(f"show ip route {ECMP} json").get(ECMP, [])
        selected = [r for r in routes if r.get("selected") and r.get("protocol") == "bgp"]
        hops = sorted(h.get("ip") for r in selected for h in r.get("nexthops", [])
                      if h.get("active"))
        return hops if len(hops) == 2 else None
    hops = wait_for(f"{ECMP} with two next hops", two_hops, timeout=30, interval=0.5,
                    on_timeout=lambda: router.vtysh(f"show ip route {ECMP}"))
    assert hops == sorted(node_ips(lab)[:2])
    # The per-pool policy is applied on the way in.
    path = router.vtysh_json(f"show bgp ipv4 unicast {ECMP} json")["paths"][0]
    assert path.get("locPrf") == 200
    assert "64512:100" in path.get("community", {}).get("string", "")


def test_routes_outside_the_pools_are_rejected(configured: Any, router: FrrInstance,
                                               peers: dict[str, Peer]):
    # node1 sends all three; the filtered ones stay in its Adj-RIB-In (soft-reconfiguration).
    wait_for("node1's routes received", lambda: len(router.vtysh_json(
        "show bgp ipv4 unicast neighbors 198.51.100.11 received-routes json")
        .get("receivedRoutes", {})) >= 4, timeout=30, interval=0.5)
    routes = bgp_routes(router)
    assert ECMP in routes
    assert OUTSIDE not in routes
    assert COVERING not in routes
    assert NEW_ROUTE not in routes
    # The rogue is not a neighbor: no session, no route.
    time.sleep(3)
    assert ROGUE_ROUTE not in bgp_routes(router)
    assert ROGUE_IPV4 not in router.bgp_neighbors()
    assert peers["rogue"].frr.vtysh_json("show bgp neighbor 198.51.100.1 json") \
        ["198.51.100.1"]["bgpState"] != "Established"


def test_bfd_up(lab: Lab, configured: Any, router: FrrInstance):
    def all_up():
        peers = {p.get("peer"): p.get("status") for p in router.vtysh_json("show bfd peers json")}
        return all(peers.get(ip) == "up" for ip in node_ips(lab)) or None
    wait_for("BFD up with every node", all_up, timeout=30, interval=0.5,
             on_timeout=lambda: router.vtysh("show bfd peers"))


def test_second_run_changes_nothing(lab: Lab, ansible: Any, configured: Any):
    result = run_role(ansible, lab)
    assert result.rc == 0, result.failure_messages()
    assert result.changed == 0, result.task_results(TASK)
    print(f"\nno-op run: {result.seconds:.1f} s")


def test_check_mode_changes_nothing(lab: Lab, ansible: Any, configured: Any,
                                    router: FrrInstance):
    before = router.vtysh("show running-config")
    result = run_role(ansible, lab, cidrs=POOL_CIDRS + [NEW_POOL], check=True)
    assert result.rc == 0, result.failure_messages()
    assert result.changed == 1
    commands = result.task_results(TASK)["router1"]["commands"]
    assert any(NEW_POOL in c for c in commands)
    assert router.vtysh("show running-config") == before


def test_pool_change_updates_prefix_list_without_reset(lab: Lab, ansible: Any, configured: Any,
                                                        router: FrrInstance):
    def counters():
        return {ip: router.vtysh_json(f"show bgp neighbor {ip} json")[ip]["connectionsEstablished"]
                for ip in node_ips(lab)}
    wait_established(router, node_ips(lab))
    before = counters()
    result = run_role(ansible, lab, cidrs=POOL_CIDRS + [NEW_POOL])
    assert result.rc == 0, result.failure_messages()
    assert result.changed == 1
    print(f"\none-pool change: {result.seconds:.1f} s")
    assert f"permit {NEW_POOL} ge 32" in router.vtysh("show running-config")
    # The route node1 sent before is accepted now, from the kept Adj-RIB-In.
    wait_for(f"{NEW_ROUTE} accepted", lambda: NEW_ROUTE in bgp_routes(router), timeout=15,
             interval=0.5)
    assert counters() == before
    result = run_role(ansible, lab)
    assert result.changed == 1
    wait_for(f"{NEW_ROUTE} withdrawn", lambda: NEW_ROUTE not in bgp_routes(router), timeout=15,
             interval=0.5)
    assert counters() == before


def test_wrong_password_keeps_session_down(lab: Lab, configured: Any, router: FrrInstance,
                                          peers: dict[str, Peer]):
    node2 = lab.config.host("node2").ipv4
    peers["node2"].set([ECMP], password="not-" + PASSWORD)
    try:
        wait_for("node2 session down", lambda: not router.bgp_neighbors()[node2]["state"]
                 == "Established", timeout=20, interval=0.5)
        time.sleep(12)  # longer than the hold time: it never comes back
        assert router.bgp_neighbors()[node2]["state"] != "Established"
    finally:
        peers["node2"].set([ECMP])
    wait_established(router, [node2])


def test_maximum_prefix_tears_down_and_restarts(lab: Lab, configured: Any, router: FrrInstance,
                                               peers: dict[str, Peer]):
    node3 = lab.config.host("node3").ipv4
    flood = [f"203.0.113.{n}/32" for n in range(64, 72)]  # 8 > maximum-prefix 5
    peers["node3"].set(flood)
    wait_for("node3 torn down by maximum-prefix", lambda: router.vtysh_json(
        f"show bgp neighbor {node3} json")[node3].get("bgpState") != "Established",
        timeout=20, interval=0.5)
    info = router.vtysh_json(f"show bgp neighbor {node3} json")[node3]
    # FRR says why in the notification it sent: Cease / Maximum Number of Prefixes Reached.
    assert info.get("lastResetDueTo") == "BGP Notification send", info.get("lastResetDueTo")
    assert "Maximum Number of Prefixes" in str(info.get("lastNotificationReason", info)), info
    peers["node3"].set(["203.0.113.70/32"])
    # restart 1: the router retries after one minute.
    wait_established(router, [node3], timeout=90)


def test_deleted_removes_only_what_the_role_wrote(lab: Lab, ansible: Any, configured: Any,
                                                  router: FrrInstance):
    result = ansible.playbook(PLAYBOOK, extra_vars={
        "exposure_plan": plan(lab), "exposure_bgp": bgp_settings(),
        "router_bgp_state": "deleted"})
    assert result.rc == 0, result.failure_messages()
    assert result.changed == 1
    running = router.vtysh("show running-config")
    assert "EXPOSURE-" not in running
    assert "bgp router-id 198.51.100.1" in running
    for line in ("ip route 192.0.2.0/24 blackhole", "neighbor 192.0.2.99 remote-as 65099"):
        assert line in running
