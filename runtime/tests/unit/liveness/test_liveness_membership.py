"""Membership table scenarios (membership.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.liveness.membership import Membership
from baremetal_lb.liveness.wire import Heartbeat

SCENARIOS = yaml.safe_load((Path(__file__).parent / "membership.yaml").read_text())
MAC = bytes.fromhex("02005e10000b")
WALL = 1_000_000


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s["name"])
def test_membership(scenario: dict[str, Any]) -> None:
    table = Membership("self", 100, now=0.0, warmup=0.3, max_skew_ms=5000)
    for step in scenario["steps"]:
        now, wall = step["t"], step.get("wall", WALL)
        if "beat" in step:
            b = step["beat"]
            beat = Heartbeat(b["node"], b["inc"], b["seq"], b.get("sent", wall), b["hold"], MAC,
                             b.get("leaving", False))
            assert table.observe(beat, "198.51.100.12", now, wall) == step["verdict"], step
        if "expire" in step:
            assert table.expire(now) == step["expire"], step
        if "alive" in step:
            assert table.alive(now) == frozenset(step["alive"]), step
        if "local" in step:
            table.set_local(step["local"], now)


def test_next_expiry_and_peer_macs() -> None:
    table = Membership("self", 1, now=0.0, warmup=0.0)
    assert table.next_expiry() is None
    table.observe(Heartbeat("a", 1, 1, WALL, 300, MAC), "x", 1.0, WALL)
    table.observe(Heartbeat("b", 1, 1, WALL, 200, b"\x02" * 6), "y", 1.0, WALL)
    assert table.next_expiry() == pytest.approx(1.2)
    assert table.peer_macs(1.1) == {MAC, b"\x02" * 6}
    assert table.peer_macs(1.25) == {MAC}
    assert set(table.members(1.25)) == {"a"} and table.members(1.25)["a"].address == "x"
