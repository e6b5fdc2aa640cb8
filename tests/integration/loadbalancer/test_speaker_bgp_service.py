"""The speaker in BGP mode end to end: a Service's IP, allocated by the controller, is announced
by the speakers (each driving its node's FRR) to the lab router, which installs ECMP next hops;
Local policy announces only where endpoints are; a cut link is noticed through BFD; deleting
the Service withdraws the route. Router and metallb.io objects are those of
tests/integration/speaker_bgp (bgp_lab.py), applied through the API."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Cluster, eventually
from speaker_lab import SpeakerProcess, endpoint_slice, heartbeat_key, run

sys.path.insert(0, str(Path(__file__).parent.parent / "speaker_bgp"))
from exposure_lab.frr import FrrInstance  # noqa: E402

from bgp_lab import EBGP_NODES, NODES, PASSWORD, RouterSide, metallb_objects  # noqa: E402

KINDS = {"peers": ("v1beta2", "bgppeers", "BGPPeer"),
         "bfd_profiles": ("v1beta1", "bfdprofiles", "BFDProfile"),
         "communities": ("v1beta1", "communities", "Community"),
         "pools": ("v1beta1", "ipaddresspools", "IPAddressPool"),
         "advertisements": ("v1beta1", "bgpadvertisements", "BGPAdvertisement")}


@pytest.fixture
def bgp_site(lab: Any, cluster: Cluster, controllers: Any, kubeconfig: str,
             tmp_path: Path) -> Iterator[dict[str, Any]]:
    router = RouterSide(lab)
    router.configure()
    frrs: dict[str, FrrInstance] = {}
    speakers: dict[str, SpeakerProcess] = {}
    try:
        pools = cluster.namespace("pools")
        apps = cluster.namespace("apps")
        lb_class = f"t{cluster.run_id}.test/lb"
        cluster.core.create_namespaced_secret(pools, {
            "metadata": {"name": "bgp-password"}, "type": "kubernetes.io/basic-auth",
            "stringData": {"password": PASSWORD}})
        objects = metallb_objects(lab.config.router.ipv4, lab.config.router.ipv6)
        for kind, items in objects.items():
            version, plural, kind_name = KINDS[kind]
            for item in items:
                body = copy.deepcopy(item)
                body.update(apiVersion=f"metallb.io/{version}", kind=kind_name)
                body["metadata"]["namespace"] = pools
                secret = body["spec"].get("passwordSecret")
                if secret:
                    secret["namespace"] = pools
                cluster.custom.create_namespaced_custom_object("metallb.io", version, pools,
                                                               plural, body)
        controllers(pools, lb_class=lb_class)
        key = heartbeat_key(tmp_path)
        for node in NODES:
            host = lab.config.host(node)
            frrs[node] = FrrInstance(lab, f"frr-{node}-speaker", host.netns)
            frrs[node].start("frr defaults traditional\nlog stdout informational\n!\n")
            speakers[node] = SpeakerProcess(
                node, kubeconfig, pools, key, lb_class, tmp_path,
                extra=["--bgp-engine", "frr", "--frr-dir", str(frrs[node].dir)])
        for speaker in speakers.values():
            eventually(lambda speaker=speaker: speaker.get("/readyz")[0] == 200 or not speaker.alive(), 30,
                       what=f"speaker {speaker.node} ready")
            assert speaker.alive(), speaker.log()
        router.wait_established([lab.config.host(n).ipv4 for n in NODES])
        yield {"router": router, "apps": apps, "class": lb_class, "speakers": speakers,
               "hosts": {n: lab.config.host(n).ipv4 for n in NODES}}
    finally:
        for speaker in speakers.values():
            speaker.stop()
        for frr in frrs.values():
            frr.stop()
        router.restore()


def _service(cluster: Cluster, site: dict[str, Any], name: str, endpoints: list[str],
             **spec: Any) -> str:
    cluster.service(site["apps"], name, lb_class=site["class"],
                    annotations={"metallb.io/address-pool": "bgp"}, spec=spec)
    discovery = __import__("kubernetes").client.DiscoveryV1Api(cluster.api)
    discovery.create_namespaced_endpoint_slice(site["apps"], endpoint_slice(name, endpoints))
    return str(eventually(lambda: cluster.ips(site["apps"], name), 20, what=f"{name} IP")[0])


def test_ecmp_local_policy_bfd_and_withdrawal(cluster: Cluster, bgp_site: dict[str, Any]) -> None:
    router, hosts = bgp_site["router"], bgp_site["hosts"]
    ebgp = {hosts[n] for n in EBGP_NODES}

    # Local policy, endpoints on the two eBGP nodes: only they announce, and the router
    # spreads the traffic over both (ECMP).
    vip = _service(cluster, bgp_site, "web", list(EBGP_NODES), externalTrafficPolicy="Local")
    seconds = router.wait_next_hops(f"{vip}/32", ebgp, timeout=20)
    print(f"{vip}: ECMP via {sorted(ebgp)} {seconds:.2f}s after the IP was allocated")
    events = eventually(lambda: cluster.events(bgp_site["apps"], "web", "nodeAssigned"), 10,
                        what="nodeAssigned events")
    assert {e.source.host for e in events} == set(EBGP_NODES)
    assert all("protocol bgp" in e.message for e in events)

    # Cluster policy: every node announces; the advertisement's localPref 250 reaches the
    # router over iBGP only (node3), so the router prefers node3's path.
    everywhere = _service(cluster, bgp_site, "everywhere", list(NODES))
    router.wait_next_hops(f"{everywhere}/32", {hosts["node3"]}, timeout=20)
    assert 250 in {path.get("locPrf") for path in router.bgp_path(f"{everywhere}/32")}

    # node1's cable is cut at the switch: BFD drops its next hop well before the hold timer.
    run(["ip", "-n", "xl-lan", "link", "set", "v-node1", "down"])
    try:
        gone = router.wait_next_hops(f"{vip}/32", {hosts["node2"]}, timeout=5)
        print(f"link cut: node1's next hop gone in {gone:.2f}s")
        assert gone < 3, "BFD (3 x 100 ms) should beat the 9 s hold timer by far"
    finally:
        run(["ip", "-n", "xl-lan", "link", "set", "v-node1", "up"])
    router.wait_next_hops(f"{vip}/32", ebgp, timeout=30)

    cluster.core.delete_namespaced_service("web", bgp_site["apps"])
    router.wait_next_hops(f"{vip}/32", set(), timeout=10)
    assert all(s.alive() for s in bgp_site["speakers"].values())
