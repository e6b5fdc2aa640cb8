"""Rendezvous hashing: agreement, minimal movement, balance; eligibility rules."""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from baremetal_lb.speaker.ownership import eligible_nodes, owned_by, owner, ranking

NODES = ["node1", "node2", "node3", "node4"]
IPS = [IPv4Address("198.18.0.0") + i for i in range(2000)]


def test_no_candidates_no_owner() -> None:
    assert owner(IPv4Address("198.51.100.240"), []) is None


def test_order_and_duplicates_of_candidates_do_not_matter() -> None:
    for ip in IPS[:200]:
        assert owner(ip, NODES) == owner(ip, list(reversed(NODES))) == owner(ip, NODES + NODES)


def test_owner_is_head_of_ranking() -> None:
    for ip in IPS[:200]:
        assert ranking(ip, NODES)[0] == owner(ip, NODES)
        assert sorted(ranking(ip, NODES)) == sorted(NODES)


def test_only_the_leaving_nodes_ips_move_and_to_the_next_in_line() -> None:
    for ip in IPS[:500]:
        order = ranking(ip, NODES)
        for gone in NODES:
            rest = [n for n in NODES if n != gone]
            expected = order[1] if gone == order[0] else order[0]
            assert owner(ip, rest) == expected


def test_a_joining_node_takes_only_ips_it_wins() -> None:
    before = {ip: owner(ip, NODES[:3]) for ip in IPS}
    after = {ip: owner(ip, NODES) for ip in IPS}
    moved = [ip for ip in IPS if before[ip] != after[ip]]
    assert all(after[ip] == "node4" for ip in moved)
    assert 0.18 < len(moved) / len(IPS) < 0.32          # about a quarter


def test_ips_spread_evenly() -> None:
    counts = Counter(owner(ip, NODES) for ip in IPS)
    assert set(counts) == set(NODES)
    assert all(abs(c - len(IPS) / 4) < len(IPS) * 0.06 for c in counts.values())


def test_families_and_names_hash_differently() -> None:
    v6 = [IPv6Address("2001:db8::") + i for i in range(400)]
    assert len(Counter(owner(ip, NODES) for ip in v6)) == 4
    # the name is part of the weight: renaming a node changes what it owns
    a = {ip for ip in IPS[:400] if owner(ip, ["node1", "node2"]) == "node1"}
    b = {ip for ip in IPS[:400] if owner(ip, ["node1x", "node2"]) == "node1x"}
    assert a != b


def test_owned_by_partitions_the_ips() -> None:
    table = {ip: NODES for ip in IPS[:300]}
    parts = [owned_by(node, table) for node in NODES]
    assert sum(len(p) for p in parts) == 300 and frozenset().union(*parts) == frozenset(IPS[:300])
    assert owned_by("node1", {IPS[0]: []}) == frozenset()


@pytest.mark.parametrize("alive, allowed, endpoints, local, expected", [
    (["a", "b", "c"], None, None, False, ["a", "b", "c"]),
    (["a", "b", "c"], ["b", "c", "z"], None, False, ["b", "c"]),
    (["a", "b", "c"], None, [], False, []),                 # no ready endpoint anywhere
    (["a", "b", "c"], None, ["z"], False, ["a", "b", "c"]),  # Cluster: kube-proxy forwards
    (["a", "b", "c"], None, ["b", "z"], True, ["b"]),        # Local: only nodes with endpoints
    (["a", "b"], ["b"], ["a"], True, []),
])
def test_eligible_nodes(alive: list[str], allowed: list[str] | None, endpoints: list[str] | None,
                        local: bool, expected: list[str]) -> None:
    assert eligible_nodes(alive, allowed=allowed, endpoint_nodes=endpoints,
                          local_traffic=local) == frozenset(expected)


def test_known_ip_has_a_stable_owner_across_runs() -> None:
    # Pinned so a change of the weight function (which would move IPs during a rolling upgrade
    # of speakers with mixed versions) cannot pass unnoticed.
    ip = ip_address("198.51.100.240")
    assert ranking(ip, ["node1", "node2", "node3"]) == PINNED


# Computed independently: node names sorted by sha256(name + b"\0" + packed IP).hexdigest(), highest first.
PINNED = ["node2", "node3", "node1"]
