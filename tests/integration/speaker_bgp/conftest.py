"""Fixtures: the router configured for our node speakers (restored afterwards), and one FRR
per node driven by FrrEngine. Only FRR instances started here are stopped here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from exposure_lab import Lab

sys.path.insert(0, str(Path(__file__).parent))

from bgp_lab import NODES, NodeSpeaker, RouterSide  # noqa: E402


@pytest.fixture(scope="module")
def router(lab: Lab) -> Iterator[RouterSide]:
    side = RouterSide(lab)
    side.configure()
    try:
        yield side
    finally:
        side.restore()


@pytest.fixture(scope="module")
def speakers(lab: Lab, router: RouterSide) -> Iterator[dict[str, NodeSpeaker]]:
    found = {node: NodeSpeaker(lab, node) for node in NODES}
    try:
        for speaker in found.values():
            speaker.start()
            speaker.announce()
        yield found
    finally:
        for speaker in found.values():
            speaker.stop()
