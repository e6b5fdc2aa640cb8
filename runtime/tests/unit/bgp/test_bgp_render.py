"""Golden FRR configurations and announcement deltas."""

from __future__ import annotations

import os
import zlib
from typing import Any

import pytest

import bgp_yaml
from baremetal_lb.bgp.render import Attributes, attributes_by_prefix, delta, flatten, render

RENDER = bgp_yaml.load("render_cases.yaml")
DELTA = bgp_yaml.load("delta_cases.yaml")


@pytest.mark.parametrize("case", RENDER, ids=[c["name"] for c in RENDER])
def test_render_matches_golden(case: dict[str, Any]) -> None:
    text = render(bgp_yaml.config(case["config"])).text()
    golden = bgp_yaml.HERE / "golden" / f"{case['name']}.conf"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


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


@pytest.mark.parametrize("case", RENDER, ids=[c["name"] for c in RENDER])
def test_delta_from_nothing_then_back_reaches_the_same_text(case: dict[str, Any]) -> None:
    """Applying the delta's lines to the old rendering's parts must give the new rendering:
    checked by rendering with no announcements and verifying every announced prefix appears
    in exactly the commands that add it."""
    config = bgp_yaml.config(case["config"])
    if not config.peers:
        pytest.skip("no router bgp: nothing to delta")
    empty = render(type(config)(config.router_id, config.asn, config.peers, ()))
    full = render(config)
    groups = delta(empty, full)
    assert groups is not None
    commands = flatten(groups)
    added = {c.split()[1] for c in commands if c.startswith("network ")}
    families = {p.address.version for p in config.peers}
    assert added == {str(a.prefix) for a in config.announcements
                     if a.prefix.version in families}
    back = delta(full, empty)
    assert back is not None
    assert not any(c.startswith("network ") for c in flatten(back))


def test_attributes_merge_per_peer() -> None:
    config = bgp_yaml.config(RENDER[2]["config"])
    by_peer = {p.name: attributes_by_prefix(p, config.announcements) for p in config.peers}
    prefix = config.announcements[0].prefix
    assert by_peer["spine"][prefix] == Attributes(communities=("1:1", "2:2"), local_pref=300)
    assert by_peer["r4"][prefix] == Attributes(communities=("1:1", "2:2"), local_pref=300)
    assert by_peer["r6"] == {config.announcements[3].prefix:
                             Attributes(communities=("graceful-shutdown",))}
    assert len(by_peer["r4"]) == 2 and len(by_peer["spine"]) == 1
