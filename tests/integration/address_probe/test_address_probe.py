"""address_probe on the lab's wire: a squatter namespace holds pool addresses, the probe must
find it (IPv4 and IPv6), name its MAC and pool, and fail; a node's own allocated VIP is allowed.

The test pools live in parts of the lab LAN no lab pool uses (198.51.100.240-249,
2001:db8:100::4:0/118, 2001:db8:100::5:0/120), so other tests probing the lab's pools never
see this squatter. The 1,024-address IPv4 case uses 198.18.0.0/22 (RFC 2544 benchmark space)
on the same bridge: ARP is link-local, so the squatter (holding 198.18.3.33/22) answers on
br-lan exactly as it would on a LAN numbered that way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from exposure_lab import Lab

from ansible_runner import AnsibleRunner

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
SQUAT_NS = "xl-squat"
SQUAT_MAC = "02:00:5e:99:00:01"
SQUAT_V4 = "198.51.100.245"
SQUAT_V6 = "2001:db8:100::5:5"
SQUAT_BIG_V4 = "198.18.3.33"
SQUAT_BIG_V6 = "2001:db8:100::4:321"
TEST_POOL_V4 = "198.51.100.240-198.51.100.247"
CLEAN_V4 = "198.51.100.248-198.51.100.249"
TEST_POOL_V6 = "2001:db8:100::5:0/120"
CLEAN_V6 = "2001:db8:100::6:0/124"
ROLE_FACTS_TASK = ("baremetal.exposure.address_probe : Collect the node MACs and the addresses "
                   "already allocated")
ROLE_PROBE_TASK = "baremetal.exposure.address_probe : Probe the pools on the wire"
VIP = "198.51.100.246"  # held by node2 for the "allocated" case


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


@pytest.fixture(scope="module")
def squatter(lab: Lab) -> Iterator[str]:
    lan = lab.config.lan_netns
    subprocess.run(["ip", "netns", "del", SQUAT_NS], check=False, capture_output=True)
    sh("ip", "netns", "add", SQUAT_NS)
    try:
        sh("ip", "link", "add", "eth0", "address", SQUAT_MAC, "netns", SQUAT_NS, "type", "veth",
           "peer", "name", "v-squat", "netns", lan)
        sh("ip", "-n", lan, "link", "set", "v-squat", "master", lab.config.bridge, "up")
        sh("ip", "netns", "exec", SQUAT_NS, "sysctl", "-q", "-w",
           "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
           "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0")
        ns = ["ip", "-n", SQUAT_NS]
        sh(*ns, "link", "set", "lo", "up")
        sh(*ns, "addr", "add", f"{SQUAT_V4}/24", "dev", "eth0")
        sh(*ns, "addr", "add", f"{SQUAT_BIG_V4}/22", "dev", "eth0")
        sh(*ns, "addr", "add", f"{SQUAT_V6}/64", "dev", "eth0", "nodad")
        sh(*ns, "addr", "add", f"{SQUAT_BIG_V6}/64", "dev", "eth0", "nodad")
        sh(*ns, "link", "set", "eth0", "up")
        yield SQUAT_NS
    finally:
        subprocess.run(["ip", "netns", "del", SQUAT_NS], check=False)


@pytest.fixture
def vip_on_node2(lab: Lab) -> Iterator[str]:
    netns = lab.config.host("node2").netns
    sh("ip", "-n", netns, "addr", "add", f"{VIP}/32", "dev", "eth0")
    try:
        yield VIP
    finally:
        subprocess.run(["ip", "-n", netns, "addr", "del", f"{VIP}/32", "dev", "eth0"],
                       check=False)


def probe_from(netns: str, **params: object) -> dict:
    proc = subprocess.run(["ip", "netns", "exec", netns, sys.executable,
                           str(HERE / "probe_in_netns.py"), json.dumps(params)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def mac_of(lab: Lab, name: str) -> str:
    return lab.config.host(name).mac


def test_clean_pool_nothing_answers(lab: Lab, ansible: AnsibleRunner, squatter: str) -> None:
    result = probe_from(lab.config.host("node1").netns,
                        pools=[{"name": "clean", "ranges": [CLEAN_V4, CLEAN_V6]}])
    assert result["answered"] == []
    assert not result["failed"]
    assert result["probed"] == 2 + 16
    assert result["interface"] == "eth0"
    assert result["sent"] == 3 * 18, "every silent address gets 1 + retries probes"


def test_squatter_fails_the_playbook_naming_address_mac_and_pool(
        lab: Lab, ansible: AnsibleRunner, squatter: str) -> None:
    result = ansible.playbook(PLAYBOOKS / "probe.yml", extra_vars={
        "probe_pools": [{"name": "test-a", "ranges": [TEST_POOL_V4, TEST_POOL_V6]}]})
    assert result.rc != 0, result.stdout
    probe = result.task_results("Probe the pools")["node1"]
    assert probe["failed"]
    assert f"{SQUAT_V4} (pool 'test-a') answered by {SQUAT_MAC}" in probe["msg"]
    assert f"{SQUAT_V6} (pool 'test-a') answered by {SQUAT_MAC}" in probe["msg"]
    assert probe["answered"] == [
        {"ip": SQUAT_V4, "macs": [SQUAT_MAC], "pool": "test-a", "allowed": False},
        {"ip": SQUAT_V6, "macs": [SQUAT_MAC], "pool": "test-a", "allowed": False},
    ]
    assert probe["changed"] is False


def test_ipv6_squatter_found_by_dad_solicitation(lab: Lab, ansible: AnsibleRunner,
                                                  squatter: str) -> None:
    result = probe_from(lab.config.host("node3").netns, addresses=[TEST_POOL_V6])
    assert result["answered"] == [{"ip": SQUAT_V6, "macs": [SQUAT_MAC], "pool": None,
                                   "allowed": False}]
    assert result["failed"]


def test_allocated_vip_on_a_node_is_allowed_and_reruns_stay_green(
        lab: Lab, ansible: AnsibleRunner, squatter: str, vip_on_node2: str) -> None:
    node1, node2 = mac_of(lab, "node1"), mac_of(lab, "node2")
    extra = {"probe_pools": [{"name": "test-b", "ranges": [f"{VIP}-198.51.100.249"]}],
             "probe_allowed_macs": [node1, node2], "probe_allocated_ips": [VIP]}
    for check in (False, True, False):
        result = ansible.playbook(PLAYBOOKS / "probe.yml", check=check, extra_vars=extra)
        assert result.rc == 0, result.failure_messages()
        probe = result.task_results("Probe the pools")["node1"]
        assert probe["answered"] == [{"ip": VIP, "macs": [node2], "pool": "test-b",
                                      "allowed": True}]
        assert result.changed == 0
    # Not allocated by our controller: the same node answering is a conflict.
    result = ansible.playbook(PLAYBOOKS / "probe.yml", extra_vars={
        **extra, "probe_allocated_ips": []})
    assert result.rc != 0
    assert f"{VIP} (pool 'test-b') answered by {node2}" in result.failure_messages()[0]


def test_address_held_by_the_probing_node_itself_is_reported(lab: Lab, squatter: str) -> None:
    node1 = lab.config.host("node1")
    result = probe_from(node1.netns, addresses=[node1.ipv4, CLEAN_V4],
                        allowed=[{"ip": node1.ipv4, "mac": node1.mac}])
    assert result["answered"] == [{"ip": node1.ipv4, "macs": [node1.mac], "pool": None,
                                   "allowed": True}]
    assert not result["failed"]


@pytest.mark.parametrize("spec,squat,interface", [
    ("198.18.0.0/22", SQUAT_BIG_V4, "eth0"),
    ("2001:db8:100::4:0/118", SQUAT_BIG_V6, None),
], ids=["ipv4-1024", "ipv6-1024"])
def test_1024_addresses_in_seconds(lab: Lab, squatter: str, spec: str, squat: str,
                                   interface: str | None) -> None:
    result = probe_from(lab.config.host("node1").netns, interface=interface,
                        pools=[{"name": "big", "ranges": [spec]}])
    print(f"\n{spec}: {result['probed']} addresses, {result['sent']} probes, "
          f"{result['duration']} s")
    assert result["probed"] == 1024
    assert result["answered"] == [{"ip": squat, "macs": [SQUAT_MAC], "pool": "big",
                                   "allowed": False}]
    # 3 rounds of 1,024 at 2,000 pps plus a 1 s window: about 2.5 s.
    assert result["duration"] < 6, result["duration"]


def test_role_gathers_node_macs_and_probes_the_plan(lab: Lab, ansible: AnsibleRunner,
                                                    squatter: str, vip_on_node2: str) -> None:
    plan = {"site": "lab", "nodes": [
        {"name": n, "addresses": [lab.config.host(n).ipv4, lab.config.host(n).ipv6]}
        for n in ("node1", "node2", "node3")]}
    clean = {**plan, "pools": [
        {"name": "test-b", "announce": "layer2", "ranges": [
            {"first": VIP, "last": "198.51.100.249", "size": 4, "version": 4}]},
        {"name": "routed", "announce": "bgp", "ranges": [{"first": SQUAT_V4,
                                                          "last": SQUAT_V4}]}]}
    result = ansible.playbook(PLAYBOOKS / "role.yml", extra_vars={
        "exposure_plan": clean, "address_probe_allowed": [{"ip": VIP, "mac": mac_of(lab, "node2")}],
        "address_probe_kubeconfig": ""})
    assert result.rc == 0, result.failure_messages()
    probe = result.task_results(ROLE_PROBE_TASK)["node1"]
    facts = result.task_results(ROLE_FACTS_TASK)["node1"]["ansible_facts"]
    macs = facts["address_probe_found_macs"]
    assert sorted(macs) == sorted(mac_of(lab, n) for n in ("node1", "node2", "node3"))
    assert probe["probed"] == 4, "the bgp pool is not probed by default"
    dirty = {**plan, "pools": [{"name": "test-a", "announce": "layer2",
                                "ranges": [TEST_POOL_V4]}]}
    result = ansible.playbook(PLAYBOOKS / "role.yml", extra_vars={
        "exposure_plan": dirty, "address_probe_kubeconfig": ""})
    assert result.rc != 0
    assert SQUAT_MAC in result.failure_messages()[0]


@pytest.fixture
def lb_service(lab: Lab, ansible: AnsibleRunner) -> Iterator[str]:
    """A Service of type LoadBalancer whose status holds VIP, as our controller would set it."""
    from kubernetes import client, config

    kubeconfig = ansible.env()["K8S_AUTH_KUBECONFIG"]
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    name = "address-probe-test"
    api.create_namespaced_service("default", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}],
                 "selector": {"app": name}}})
    try:
        api.patch_namespaced_service_status(name, "default", {
            "status": {"loadBalancer": {"ingress": [{"ip": VIP}]}}})
        yield VIP
    finally:
        api.delete_namespaced_service(name, "default")


def test_role_allows_a_vip_allocated_in_kubernetes_on_a_node(
        lab: Lab, ansible: AnsibleRunner, squatter: str, vip_on_node2: str,
        lb_service: str) -> None:
    # The cluster as the preflight resolves it (exposure_kubernetes, else K8S_AUTH_KUBECONFIG).
    kubernetes = {"kubeconfig": ansible.env()["K8S_AUTH_KUBECONFIG"], "context": None,
                  "validate_certs": True}
    plan = {"site": "lab", "kubernetes": kubernetes, "nodes": [
        {"name": n, "addresses": [lab.config.host(n).ipv4]} for n in ("node1", "node2")],
        "pools": [{"name": "test-b", "announce": "layer2",
                   "ranges": [f"{VIP}-198.51.100.249"]}]}
    for _ in range(2):
        result = ansible.playbook(PLAYBOOKS / "role.yml", extra_vars={"exposure_plan": plan})
        assert result.rc == 0, result.failure_messages()
        facts = result.task_results(ROLE_FACTS_TASK)["node1"]["ansible_facts"]
        assert VIP in facts["address_probe_found_allocated"]
        probe = result.task_results(ROLE_PROBE_TASK)["node1"]
        assert probe["answered"] == [{"ip": VIP, "macs": [mac_of(lab, "node2")],
                                      "pool": "test-b", "allowed": True}]
