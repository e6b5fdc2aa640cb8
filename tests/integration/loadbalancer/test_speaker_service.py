"""The speaker end to end in layer 2: Service -> controller allocates -> speakers in the node
namespaces elect an owner -> the client on the LAN reaches the owner; failover by kill and by
link cut; Local policy; a squatter; deletion withdraws."""

from __future__ import annotations

import ipaddress
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Cluster, eventually
from speaker_lab import (
    NodeSide,
    SpeakerProcess,
    client_neighbor_mac,
    endpoint_slice,
    flush_client_neighbor,
    heartbeat_key,
    netns,
    reach,
    run,
    wait_for,
)

NODES = ("node1", "node2", "node3")
POOL = ipaddress.ip_network("198.51.100.240/29")
VIPS = [str(ip) for ip in POOL]


@pytest.fixture
def site(cluster: Cluster, controllers: Any, kubeconfig: str,
         tmp_path: Path) -> Iterator[dict[str, Any]]:
    pools = cluster.namespace("pools")
    apps = cluster.namespace("apps")
    lb_class = f"t{cluster.run_id}.test/lb"
    cluster.pool(pools, "lan", {"addresses": [str(POOL)]})
    cluster.custom.create_namespaced_custom_object(
        "metallb.io", "v1beta1", pools, "l2advertisements",
        {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
         "metadata": {"name": "lan"}, "spec": {"ipAddressPools": ["lan"]}})
    controllers(pools, lb_class=lb_class)
    sides = {node: NodeSide(node, VIPS) for node in NODES}
    key = heartbeat_key(tmp_path)
    speakers = {node: SpeakerProcess(node, kubeconfig, pools, key, lb_class, tmp_path)
                for node in NODES}
    try:
        for speaker in speakers.values():
            eventually(lambda speaker=speaker: speaker.get("/readyz")[0] == 200 or not speaker.alive(), 30,
                       what=f"speaker {speaker.node} ready")
            assert speaker.alive(), speaker.log()
        # Ready means warmed up; the speakers also have to hear each other before ownership
        # is settled (a Service created earlier may change owner once at start-up).
        for speaker in speakers.values():
            eventually(lambda speaker=speaker: speaker.metric("baremetal_lb_speaker_live_members",
                                                              interface="eth0") == len(NODES), 15,
                       what=f"speaker {speaker.node} hearing every node")
        yield {"pools": pools, "apps": apps, "class": lb_class, "sides": sides,
               "speakers": speakers, "key": key, "tmp": tmp_path, "kubeconfig": kubeconfig}
    finally:
        for speaker in speakers.values():
            speaker.stop()
        for side in sides.values():
            side.close()
        for vip in VIPS:
            flush_client_neighbor(vip)


def _service(cluster: Cluster, site: dict[str, Any], name: str, endpoints: list[str],
             **spec: Any) -> str:
    cluster.service(site["apps"], name, lb_class=site["class"], spec=spec)
    discovery = __import__("kubernetes").client.DiscoveryV1Api(cluster.api)
    discovery.create_namespaced_endpoint_slice(site["apps"], endpoint_slice(name, endpoints))
    ips = eventually(lambda: cluster.ips(site["apps"], name), 20, what=f"{name} IP")
    return str(ips[0])


def _owner(vip: str, timeout: float = 10) -> str:
    return str(wait_for(lambda: reach(vip), timeout))


def test_client_reaches_the_owner_and_only_the_owner_answers(cluster: Cluster,
                                                             site: dict[str, Any]) -> None:
    vip = _service(cluster, site, "web", list(NODES))
    owner = _owner(vip)
    assert owner in NODES, f"no node answered for {vip}: " + site["speakers"]["node1"].log()
    assert client_neighbor_mac(vip) == site["sides"][owner].mac_text
    for _ in range(5):
        assert reach(vip) == owner, "the VIP flapped between nodes"
    events = eventually(lambda: cluster.events(site["apps"], "web", "nodeAssigned"), 10,
                        what="a nodeAssigned event")
    assert [e.source.host for e in events] == [owner]
    assert owner in events[0].message and vip in events[0].message
    announced = {n: s.metric("baremetal_lb_speaker_announced_ips", protocol="layer2")
                 for n, s in site["speakers"].items()}
    assert announced == {n: (1.0 if n == owner else 0.0) for n in NODES}
    status = eventually(lambda: _l2_status(cluster, site, "web"), 10, what="ServiceL2Status")
    assert status == {"node": owner, "serviceName": "web", "serviceNamespace": site["apps"],
                      "interfaces": [{"name": "eth0"}]}


def _l2_status(cluster: Cluster, site: dict[str, Any], name: str) -> dict[str, Any] | None:
    try:
        obj = cluster.custom.get_namespaced_custom_object(
            "metallb.io", "v1beta1", site["apps"], "servicel2statuses", name)
    except __import__("kubernetes").client.exceptions.ApiException:
        return None
    return obj.get("status")


@pytest.mark.parametrize("failure", ["kill", "link-cut", "link-down", "graceful"])
def test_failover_moves_the_vip(cluster: Cluster, site: dict[str, Any], failure: str) -> None:
    vip = _service(cluster, site, "web", list(NODES))
    owner = _owner(vip)
    assert owner in NODES
    started = time.monotonic()
    if failure == "kill":
        site["speakers"][owner].stop(__import__("signal").SIGKILL)
    elif failure == "graceful":
        site["speakers"][owner].stop()   # SIGTERM: hand over, then go quiet
    elif failure == "link-cut":
        # Cut the node's cable at the switch (its bridge port): the node sees carrier loss.
        run(["ip", "-n", "xl-lan", "link", "set", f"v-{owner}", "down"])
    else:
        # An administrator downs the node's interface (the kernel then flushes its IPv6
        # address: keep_addr_on_down=0, and every route through it: the lab's routes to the
        # Service CIDRs and to the other nodes' pods, without which the node's kubelet and
        # host-network pods cannot reach the apiserver; all put back below).
        ipv6 = run(netns(f"xl-{owner}", "ip", "-6", "-o", "addr", "show", "dev", "eth0",
                         "scope", "global")).split()
        routes = [(family, line) for family in ("-4", "-6")
                  for line in run(netns(f"xl-{owner}", "ip", family, "route", "show", "dev",
                                        "eth0")).splitlines()
                  if line.strip() and "proto kernel" not in line]
        run(netns(f"xl-{owner}", "ip", "link", "set", "eth0", "down"))
    try:
        new = wait_for(lambda: (reach(vip, 0.1) or None) if reach(vip, 0.1) != owner else None,
                       10, interval=0.02)
        gap = time.monotonic() - started
        assert new and new != owner, f"the VIP did not move away from {owner}:\n" + "\n".join(
            f"--- {n}\n{s.log()[-1500:]}" for n, s in site["speakers"].items())
        assert client_neighbor_mac(vip) == site["sides"][new].mac_text
        print(f"{failure}: VIP {vip} moved {owner} -> {new} in {gap:.2f}s (client-side)")
        assert eventually(lambda: (_l2_status(cluster, site, "web") or {}).get("node") == new,
                          10, what="ServiceL2Status to name the new owner")
    finally:
        if failure == "link-cut":
            run(["ip", "-n", "xl-lan", "link", "set", f"v-{owner}", "up"])
        elif failure == "link-down":
            run(netns(f"xl-{owner}", "ip", "link", "set", "eth0", "up"))
            if "inet6" in ipv6:
                run(netns(f"xl-{owner}", "ip", "addr", "replace", ipv6[ipv6.index("inet6") + 1],
                          "dev", "eth0", "nodad"), check=False)
            for family, route in routes:
                run(netns(f"xl-{owner}", "ip", family, "route", "replace", *route.split(),
                          "dev", "eth0"))
    if failure.startswith("link"):
        # The node is back: once it is heard again, it must be able to serve the VIP alone
        # (its announcer survived the link flap).
        survivor = site["speakers"][owner]
        assert eventually(lambda: survivor.metric("baremetal_lb_speaker_live_members",
                                                  interface="eth0") == 3, 15,
                          what=f"{owner} heard again")
        for node in NODES:
            if node != owner:
                site["speakers"][node].stop(__import__("signal").SIGKILL)
        flush_client_neighbor(vip)
        assert wait_for(lambda: reach(vip) == owner, 10), \
            f"{owner} did not serve {vip} after its link came back:\n{survivor.log()[-2000:]}"


def test_local_policy_is_announced_only_where_endpoints_are(cluster: Cluster,
                                                            site: dict[str, Any]) -> None:
    vips = {}
    for node in NODES:
        vips[node] = _service(cluster, site, f"local-{node}", [node],
                              externalTrafficPolicy="Local")
    for node, vip in vips.items():
        assert _owner(vip) == node, f"{vip} (endpoint only on {node}) answered elsewhere"
    # The endpoint moves: so does the announcement.
    discovery = __import__("kubernetes").client.DiscoveryV1Api(cluster.api)
    for piece in discovery.list_namespaced_endpoint_slice(
            site["apps"], label_selector="kubernetes.io/service-name=local-node1").items:
        if piece.metadata.labels.get("endpointslice.kubernetes.io/managed-by") == \
                "tests.baremetal.exposure":
            discovery.patch_namespaced_endpoint_slice(
                piece.metadata.name, site["apps"],
                {"endpoints": [{"addresses": ["10.244.3.10"], "nodeName": "node3",
                                "conditions": {"ready": True}}]})
    flush_client_neighbor(vips["node1"])
    assert wait_for(lambda: reach(vips["node1"]) == "node3", 10)


def test_deleting_the_service_withdraws(cluster: Cluster, site: dict[str, Any]) -> None:
    vip = _service(cluster, site, "web", list(NODES))
    assert _owner(vip) in NODES
    cluster.core.delete_namespaced_service("web", site["apps"])
    flush_client_neighbor(vip)
    assert wait_for(lambda: reach(vip, 0.2) == "", 10), "the VIP still answers"
    assert all(s.metric("baremetal_lb_speaker_announced_ips", protocol="layer2") == 0
               for s in site["speakers"].values())


def test_a_squatter_is_detected_and_the_ip_not_announced(cluster: Cluster,
                                                         site: dict[str, Any]) -> None:
    squatted = VIPS[-1]
    run(["ip", "-n", "xl-client", "link", "add", "xl-squat", "link", "eth0", "type",
         "macvlan", "mode", "bridge"])
    try:
        run(["ip", "-n", "xl-client", "addr", "add", f"{squatted}/32", "dev", "xl-squat"])
        run(["ip", "-n", "xl-client", "link", "set", "xl-squat", "up"])
        cluster.service(site["apps"], "victim", lb_class=site["class"],
                        annotations={"metallb.io/loadBalancerIPs": squatted})
        discovery = __import__("kubernetes").client.DiscoveryV1Api(cluster.api)
        discovery.create_namespaced_endpoint_slice(site["apps"],
                                                   endpoint_slice("victim", list(NODES)))
        events = eventually(lambda: cluster.events(site["apps"], "victim", "IPConflict"), 15,
                            what="an IPConflict event")
        assert events[0].type == "Warning"
        # The squatter's kernel answers from both its links (arp_ignore=0 there).
        squatter_macs = {run(netns("xl-client", "cat", f"/sys/class/net/{link}/address"))
                         for link in ("xl-squat", "eth0")}
        assert any(mac in events[0].message for mac in squatter_macs), events[0].message
        macs = {s.mac_text for s in site["sides"].values()}
        answers = run(netns("xl-router", "arping", "-c", "3", "-w", "2", "-I", "eth0", squatted),
                      check=False)
        assert not any(mac.upper() in answers.upper() for mac in macs), \
            f"a speaker answered for the squatted {squatted}:\n{answers}"
        assert sum(s.metric("baremetal_lb_speaker_conflicts_total", kind="reply")
                   + s.metric("baremetal_lb_speaker_conflicts_total", kind="probe")
                   for s in site["speakers"].values()) >= 1
    finally:
        run(["ip", "-n", "xl-client", "link", "del", "xl-squat"], check=False)


def test_a_forged_heartbeat_changes_nothing(cluster: Cluster, site: dict[str, Any]) -> None:
    vip = _service(cluster, site, "web", list(NODES))
    owner = _owner(vip)
    before = {n: s.metric("baremetal_lb_speaker_live_members", interface="eth0")
              for n, s in site["speakers"].items()}
    assert before == {n: 3.0 for n in NODES}
    # Someone on the LAN without the key claims to be a fourth speaker, and to be the owner.
    tool = Path(__file__).parent.parent / "speaker" / "lan_tool.py"
    for node in ("node9", owner):
        subprocess.run(netns("xl-client", str(Path(__import__("sys").executable)), str(tool),
                             "forge", "eth0", "7473", node, "00" * 32, "0"),
                       check=True, capture_output=True)
    time.sleep(0.5)
    after = {n: s.metric("baremetal_lb_speaker_live_members", interface="eth0")
             for n, s in site["speakers"].items()}
    assert after == before
    assert sum(s.metric("baremetal_lb_speaker_heartbeats_rejected_total", reason="bad_hmac")
               for s in site["speakers"].values()) >= 1, "nobody counted the forged heartbeats"
    assert reach(vip) == owner
