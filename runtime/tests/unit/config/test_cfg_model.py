"""config_for: every metallb.io kind in, one Config and its problems out (model_cases.yaml)."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.config import Config, config_for

HERE = Path(__file__).parent
CASES = yaml.safe_load((HERE / "model_cases.yaml").read_text())
KINDS = ("pools", "l2_advertisements", "bgp_advertisements", "peers", "bfd_profiles",
         "communities")


def _objects(given: dict[str, Any]) -> dict[str, Any]:
    """The case's objects, in namespace lb unless they say otherwise."""
    objects: dict[str, Any] = {}
    for kind in KINDS:
        objects[kind] = [dict(o, metadata={"namespace": "lb", **o["metadata"]})
                         for o in given.get(kind, [])]
    objects["passwords"] = given.get("passwords", {})
    return objects


def _bgp(config: Config) -> dict[str, Any]:
    found = {}
    for pool in config.pools.values():
        for a in pool.bgp:
            found[a.name] = {"communities": list(a.communities), "local_pref": a.local_pref,
                             "lengths": [a.aggregation_length, a.aggregation_length_v6],
                             "peers": sorted(a.peers)}
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_config_for(case: dict[str, Any]) -> None:
    config = config_for(**_objects(case["objects"]))
    expect = case["expect"]
    if "pools" in expect:
        assert {name: {"l2": [a.name for a in pool.l2], "bgp": [a.name for a in pool.bgp]}
                for name, pool in config.pools.items()} == expect["pools"]
    if "peers" in expect:
        assert [p.peer.name for p in config.peers] == expect["peers"]
    if "bfd_profiles" in expect:
        assert sorted(config.bfd_profiles) == expect["bfd_profiles"]
    problems = [(p.kind, p.name, p.message) for p in config.problems]
    assert [(kind, name) for kind, name, _ in problems] == \
        [(kind, name) for kind, name, _ in expect["problems"]], problems
    for (_, _, message), (_, _, words) in zip(problems, expect["problems"], strict=True):
        assert words in message
    for ip, name in expect.get("pool_of", {}).items():
        pool = config.pool_of(ip_address(ip))
        assert (pool.name if pool else None) == name, ip
    if "bgp" in expect:
        assert _bgp(config) == expect["bgp"]
    for name, fields in expect.get("peer_fields", {}).items():
        peer = next(p.peer for p in config.peers if p.peer.name == name)
        assert {"password": peer.password, "bfd": peer.bfd.name if peer.bfd else None,
                "hold_time": peer.hold_time, "keepalive": peer.effective_keepalive()} == fields


def test_problems_name_the_object_for_events() -> None:
    config = config_for(pools=[{"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                                "metadata": {"name": "p", "namespace": "lb", "uid": "u-1"},
                                "spec": {}}])
    (problem,) = config.problems
    assert problem.ref.as_object() == {"kind": "IPAddressPool", "apiVersion": "metallb.io/v1beta1",
                                       "metadata": {"name": "p", "namespace": "lb", "uid": "u-1"}}


def test_the_config_cannot_be_changed() -> None:
    config = config_for(pools=[{"metadata": {"name": "p"}, "spec": {"addresses": ["10.0.0.0/24"]}}])
    with pytest.raises(TypeError):
        config.pools["q"] = config.pools["p"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        config.problems = ()  # type: ignore[misc]
