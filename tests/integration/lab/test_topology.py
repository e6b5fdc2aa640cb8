"""The wire: namespaces, fixed addresses and MACs, and no way out of the lab."""

from __future__ import annotations

import json
import subprocess

from exposure_lab import Lab
from exposure_lab.topology import check_isolated


def _addresses(lab: Lab, netns: str) -> dict:
    out = lab.run(["ip", "-j", "addr", "show", "dev", "eth0"], netns=netns).stdout
    return json.loads(out)[0]


def test_every_host_has_its_fixed_address_and_mac(lab: Lab) -> None:
    for host in lab.config.hosts:
        link = _addresses(lab, host.netns)
        assert link["address"] == host.mac
        local = {a["local"] for a in link["addr_info"]}
        assert {host.ipv4, host.ipv6} <= local, host.name


def test_no_namespace_has_a_default_route(lab: Lab) -> None:
    assert check_isolated(lab, lab.config) == []


def test_hosts_reach_each_other_on_the_lan(lab: Lab) -> None:
    client = lab.config.client.netns
    for host in [lab.config.router, *lab.config.node_hosts]:
        lab.run(["ping", "-c1", "-W2", host.ipv4], netns=client)
        lab.run(["ping", "-6", "-c1", "-W2", host.ipv6], netns=client)


def test_the_root_namespace_reaches_the_lan_through_the_mgmt_veth_only(lab: Lab) -> None:
    cfg = lab.config
    subprocess.run(["ping", "-c1", "-W2", cfg.router.ipv4], check=True, capture_output=True)
    route = subprocess.run(["ip", "-j", "route", "get", cfg.node_hosts[0].ipv4],
                           check=True, capture_output=True, text=True).stdout
    assert json.loads(route)[0]["dev"] == cfg.mgmt_veth
    # The BGP pool range is behind the router: the root namespace has no route into it
    # through the lab.
    pool = subprocess.run(["ip", "-j", "route", "get", "203.0.113.10"],
                          capture_output=True, text=True)
    if pool.returncode == 0:
        assert json.loads(pool.stdout)[0].get("dev") != cfg.mgmt_veth


def test_the_bridge_has_a_port_per_host_plus_mgmt(lab: Lab) -> None:
    out = lab.run(["ip", "-j", "link", "show", "master", lab.config.bridge],
                  netns=lab.config.lan_netns).stdout
    ports = {link["ifname"] for link in json.loads(out)}
    # Tests may attach extra hosts (squatters) for a while; the lab's own ports are all there.
    assert {f"v-{h.name}" for h in lab.config.hosts} | {"v-mgmt"} <= ports
