"""`lab up` is idempotent and `lab down` leaves the machine as it found it. Runs last."""

from __future__ import annotations

import pytest

from exposure_lab import Lab, lifecycle
from exposure_lab.snapshot import MachineSnapshot


def test_up_again_changes_nothing(lab: Lab, lab_services: list[str]) -> None:
    pids = {key: rec.pid for key, rec in lab.state.processes.items()}
    lifecycle.up(lab.config, lab_services)
    again = Lab(lab.config)
    assert {key: rec.pid for key, rec in again.state.processes.items()} == pids


def test_status_reports_every_service_up(lab: Lab, lab_services: list[str]) -> None:
    report = lifecycle.status(lab.config)
    assert {name: report["services"][name]["up"] for name in lab_services} == {
        name: True for name in lab_services
    }


def test_down_leaves_nothing_behind(lab: Lab, lab_reused: bool,
                                    machine_before: MachineSnapshot | None) -> None:
    if lab_reused:
        pytest.skip("the lab was up before the session: leave it for the developer")
    assert machine_before is not None
    recorded = list(lab.state.processes.values())
    assert recorded, "the lab recorded no processes"
    leftovers = lifecycle.down(lab.config)
    assert leftovers == []
    assert [r for r in recorded if r.alive()] == []
    after = MachineSnapshot.take(lab.config)
    assert after.added_since(machine_before) == []
