"""metallb.io objects -> one node's BgpConfig (data-driven, from_crds_cases.yaml)."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import bgp_yaml
import pytest

from baremetal_lb.speaker.bgp import ServiceIP, bgp_config_for_node

DATA = bgp_yaml.load("from_crds_cases.yaml")
CASES = DATA["cases"]


def _ip(text: str) -> ServiceIP:
    words = text.split()
    return ServiceIP(ip_address(words[0]), words[1], eligible="ineligible" not in words[2:])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bgp_config_for_node(case: dict[str, Any]) -> None:
    given = {**DATA["defaults"], **case}
    result = bgp_config_for_node(
        given["node"], given["labels"], peers=given["peers"],
        advertisements=given["advertisements"], pools=given["pools"],
        ips=[_ip(text) for text in given["ips"]],
        bfd_profiles=given.get("bfd_profiles", ()), communities=given.get("communities", ()),
        passwords=given.get("passwords"),
        node_address=ip_address(given["node_address"]))  # type: ignore[arg-type]
    expect = case["expect"]
    config = result.config
    assert [p.name for p in config.peers] == expect["peers"]
    assert [bgp_yaml.describe(a) for a in config.announcements] == expect["announcements"]
    problems = list(result.problems)
    wanted = expect.get("problems", [])
    assert len(problems) == len(wanted), problems
    for problem, part in zip(problems, wanted, strict=True):
        assert part in problem
    if "router_id" in expect:
        assert str(config.router_id) == expect["router_id"]
    if "asn" in expect:
        assert config.asn == expect["asn"]
    if "peer_fields" in expect:
        peer = config.peers[0]
        assert peer.bfd is not None
        actual = {"password": peer.password, "hold_time": peer.hold_time,
                  "keepalive_time": peer.keepalive_time, "connect_time": peer.connect_time,
                  "ebgp_multihop": peer.ebgp_multihop, "graceful_restart": peer.graceful_restart,
                  "bfd_name": peer.bfd.name, "bfd_receive": peer.bfd.receive_interval}
        assert actual == expect["peer_fields"]
