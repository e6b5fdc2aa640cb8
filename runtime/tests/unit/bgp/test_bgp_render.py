"""Golden FRR configurations and announcement deltas."""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

import bgp_yaml
import pytest

from baremetal_lb.bgp.render import Attributes, FrrConfig, attributes_by_prefix, delta, flatten, render

RENDER = bgp_yaml.load("render_cases.yaml")
DELTA = bgp_yaml.load("delta_cases.yaml")
WITH_PEERS = [c for c in RENDER if c["config"].get("peers")]


@pytest.mark.parametrize("case", RENDER, ids=[c["name"] for c in RENDER])
def test_render_matches_golden(case: dict[str, Any]) -> None:
    """The goldens are rewritten by `make golden` only (review the diff), never by a test."""
    text = render(bgp_yaml.config(case["config"])).text()
    assert text == (bgp_yaml.HERE / "golden" / f"{case['name']}.conf").read_text()


def _hash(key: str) -> str:
    return f"{zlib.crc32(key.encode()):08x}"


# Placeholders in delta_cases.yaml: hashes are computed independently of the renderer.
PLACEHOLDERS = {
    "plain": _hash(Attributes().key()),
    "plain_seq": str(zlib.crc32(Attributes().key().encode()) % 65535 + 1),
    "c11": _hash(Attributes(communities=("1:1",)).key()),
    "c11_seq": str(zlib.crc32(Attributes(communities=("1:1",)).key().encode()) % 65535 + 1),
    "s240": str(zlib.crc32(b"203.0.113.240/32") % 0xFFFFFFFE + 1),
    "s241": str(zlib.crc32(b"203.0.113.241/32") % 0xFFFFFFFE + 1),
}


@pytest.mark.parametrize("case", DELTA, ids=[c["name"] for c in DELTA])
def test_delta(case: dict[str, Any]) -> None:
    old = render(bgp_yaml.config(case["old"]))
    new = render(bgp_yaml.config(case["new"]))
    expected = case["commands"]
    if expected is not None:
        expected = [line.format(**PLACEHOLDERS) for line in expected]
    groups = delta(old, new)
    assert (None if groups is None else flatten(groups)) == expected


def apply_delta(config: FrrConfig, groups: list[tuple[str, ...]]) -> FrrConfig:
    """What bgpd holds after running `groups` on `config`: the delta's commands interpreted the
    way FRR does for the only statements a delta may contain (route-map entries, prefix-list
    lines, `network` in an address family). Anything else fails the test."""
    networks = {family: set(prefixes) for family, prefixes in config.networks.items()}
    prefix_lists = set(config.prefix_lists)
    route_maps = dict(config.route_maps)
    for group in groups:
        words = group[0].split()
        if group[0].startswith("no route-map ") and len(group) == 1:
            del route_maps[(words[2], int(words[4]))]
        elif words[0] == "route-map" and group[-1] == "exit":
            route_maps[(words[1], int(words[3]))] = tuple(f" {line}" for line in group[1:-1])
        elif words[0] in ("ip", "ipv6") and words[1] == "prefix-list" and len(group) == 1:
            prefix_lists.add(group[0])
        elif words[:2] == ["no", "ip"] or words[:2] == ["no", "ipv6"]:
            prefix_lists.remove(group[0].removeprefix("no "))
        elif words[:2] == ["router", "bgp"] and group[1].startswith("address-family "):
            assert group[-2:] == ("exit-address-family", "exit"), group
            family = 4 if group[1] == "address-family ipv4 unicast" else 6
            for line in group[2:-2]:
                *no, command, prefix = line.split()
                assert command == "network", line
                if no:
                    networks[family].remove(prefix)
                else:
                    networks.setdefault(family, set()).add(prefix)
        else:
            raise AssertionError(f"a delta may not contain {group}")
    return dataclasses.replace(
        config, networks={family: frozenset(p) for family, p in networks.items()},
        prefix_lists=frozenset(prefix_lists), route_maps=route_maps)


@pytest.mark.parametrize("case", WITH_PEERS, ids=[c["name"] for c in WITH_PEERS])
def test_delta_from_nothing_then_back_reaches_the_same_text(case: dict[str, Any]) -> None:
    """From the same configuration without announcements, the delta's commands give exactly
    the full rendering's text; the way back gives the empty one's."""
    config = bgp_yaml.config(case["config"])
    empty = render(dataclasses.replace(config, announcements=()))
    full = render(config)
    there = delta(empty, full)
    back = delta(full, empty)
    assert there is not None and back is not None
    assert apply_delta(empty, there).text() == full.text()
    assert apply_delta(full, back).text() == empty.text()


def test_without_peers_there_is_no_delta() -> None:
    """No `router bgp`, nothing to send to bgpd: the engine reloads instead."""
    (case,) = [c for c in RENDER if not c["config"].get("peers")]
    config = bgp_yaml.config(case["config"])
    assert delta(render(dataclasses.replace(config, announcements=())), render(config)) is None


def test_attributes_merge_per_peer() -> None:
    config = bgp_yaml.config(RENDER[2]["config"])
    by_peer = {p.name: attributes_by_prefix(p, config.announcements) for p in config.peers}
    prefix = config.announcements[0].prefix
    assert by_peer["spine"][prefix] == Attributes(communities=("1:1", "2:2"), local_pref=300)
    assert by_peer["r4"][prefix] == Attributes(communities=("1:1", "2:2"), local_pref=300)
    assert by_peer["r6"] == {config.announcements[3].prefix:
                             Attributes(communities=("graceful-shutdown",))}
    assert len(by_peer["r4"]) == 2 and len(by_peer["spine"]) == 1
