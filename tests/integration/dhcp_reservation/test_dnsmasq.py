"""dhcp_reservation against the lab's real dnsmasq: udhcpc clients before and after the role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.config import LabConfig
from exposure_lab.dhcp import Dnsmasq
from exposure_lab.dhcp_client import acquire, client_mac

from ansible_runner import AnsibleRunner
from reservation_helpers import PLAN, PLAYBOOK, dnsmasq_plan, in_vip

BASE = 0x4000
PREFIX = "02:00:5e:40:4"  # the MACs of this test: 02:00:5e:40:40:00 and up
RESTART = "/work/main/.venv/bin/exposure-lab restart dnsmasq"
TASK = "baremetal.exposure.dhcp_reservation : Keep the VIP ranges out of dnsmasq's dhcp-range lines"


def plan(lab: Lab) -> dict[str, Any]:
    """The plan with the dnsmasq settings (the role reads only the plan)."""
    info = lab.info("dnsmasq")
    return dnsmasq_plan(host="dnsmasq1", ranges_file=info["ranges_file"],
                        main_config=info["config"], leases_file=info["leases"],
                        restart_command=RESTART)


def purge(lab: Lab, keep: tuple[str, ...] = ()) -> None:
    """Forget our test clients' leases (dnsmasq reads its lease file at start; udhcpc's
    release does not reach it here), then restart dnsmasq."""
    leases = Path(lab.info("dnsmasq")["leases"])
    lab.stop("dnsmasq")
    lines = [line for line in leases.read_text().splitlines(keepends=True)
             if PREFIX not in line or any(mac in line for mac in keep)]
    leases.write_text("".join(lines))
    Dnsmasq().start(lab)


def run(lab: Lab, ansible: AnsibleRunner, check: bool = False, diff: bool = False, **extra: Any):
    return ansible.playbook(PLAYBOOK, check=check, diff=diff, extra_vars={
        "exposure_plan": plan(lab), **extra})


@pytest.fixture(scope="module")
def dnsmasq(lab: Lab) -> Iterator[dict[str, Any]]:
    ranges_file = Path(lab.info("dnsmasq")["ranges_file"])
    original = ranges_file.read_text()
    state: dict[str, Any] = {"file": ranges_file, "original": original}
    yield state
    ranges_file.write_text(original)
    for stale in ranges_file.parent.glob("*~"):
        stale.unlink()
    purge(lab)


def test_before_reservation_dnsmasq_hands_out_vip_addresses(lab: Lab, dnsmasq: dict[str, Any]) -> None:
    assert "198.51.100.100,198.51.100.199" in dnsmasq["original"], "dnsmasq is not in its start state"
    inside = []
    for n in range(BASE, BASE + 80):
        lease = acquire(lab, client_mac(LabConfig.DNSMASQ_CLIENT_MAC_PREFIX, n))
        assert lease is not None
        if in_vip(lease.ip):
            inside.append(lease)
        else:
            dnsmasq.setdefault("keeper", lease)
        if len(inside) >= 2 and "keeper" in dnsmasq:
            break
    assert inside, "no dnsmasq lease landed in the VIP range before reservation"
    dnsmasq["inside"] = inside


def test_a_lease_inside_fails_then_check_mode_changes_nothing(lab: Lab, ansible: AnsibleRunner,
                                                             dnsmasq: dict[str, Any]) -> None:
    result = run(lab, ansible)
    assert result.rc != 0
    message = " ".join(result.failure_messages())
    for lease in dnsmasq["inside"]:
        assert lease.ip in message, message
    assert dnsmasq["file"].read_text() == dnsmasq["original"]
    dnsmasq.pop("inside")
    purge(lab, keep=(dnsmasq["keeper"].mac,))
    check = run(lab, ansible, check=True, diff=True)
    assert check.rc == 0, check.stdout
    assert check.changed == 1
    assert dnsmasq["file"].read_text() == dnsmasq["original"]
    task = check.task_results(TASK)["kea1"]
    # Played on the site's DHCP host (kea1, as site.yml does), changed on dnsmasq's host.
    assert task["_ansible_delegated_vars"]["ansible_delegated_host"] == "dnsmasq1", task
    assert "198.51.100.100,198.51.100.199" in task["diff"]["before"]
    assert "198.51.100.100,198.51.100.179" in task["diff"]["after"]


def test_reservation_then_no_client_gets_a_vip(lab: Lab, ansible: AnsibleRunner,
                                               dnsmasq: dict[str, Any]) -> None:
    result = run(lab, ansible, diff=True)
    assert result.rc == 0, result.stdout
    assert result.changed >= 1
    assert dnsmasq["file"].read_text() == (
        "dhcp-range=set:lan,198.51.100.100,198.51.100.179,255.255.255.0,1h\n")
    restarted = result.task_results(
        "baremetal.exposure.dhcp_reservation : Restart dnsmasq with the configured command")
    assert restarted["kea1"]["changed"], "the handler did not restart dnsmasq"
    again = run(lab, ansible)
    assert again.rc == 0 and again.changed == 0, again.stdout

    got = []
    for n in range(BASE + 0x100, BASE + 0x100 + 110):
        if len(got) < n - BASE - 0x100 - 3:
            break
        lease = acquire(lab, client_mac(LabConfig.DNSMASQ_CLIENT_MAC_PREFIX, n))
        if lease is not None:
            got.append(lease.ip)
        if (n - BASE) % 30 == 29:  # make room in the 80-address pool
            purge(lab, keep=(dnsmasq["keeper"].mac,))
    assert len(got) >= 100, f"only {len(got)} of 110 clients got a lease"
    assert not [ip for ip in got if in_vip(ip)]
    keeper = dnsmasq["keeper"]
    back = acquire(lab, keeper.mac)
    assert back is not None and back.ip == keeper.ip


def test_unknown_backend_fails_before_anything(lab: Lab, ansible: AnsibleRunner) -> None:
    result = ansible.playbook(PLAYBOOK, extra_vars={
        "exposure_plan": dict(PLAN, dhcp={"backend": "isc"}), "reservation_host": "dnsmasq1"})
    assert result.rc != 0
    assert "exposure_dhcp" in " ".join(result.failure_messages())


def test_dnsmasq_test_rejects_a_bad_candidate_before_it_replaces_the_file(
        lab: Lab, ansible: AnsibleRunner, dnsmasq: dict[str, Any]) -> None:
    # A lease time dnsmasq cannot read: the split candidate keeps it, and --test must catch it.
    bad = "dhcp-range=set:lan,198.51.100.100,198.51.100.199,255.255.255.0,forever-ish\n"
    dnsmasq["file"].write_text(bad)
    try:
        result = run(lab, ansible)
        assert result.rc != 0
        message = " ".join(result.failure_messages())
        assert "dnsmasq --test rejected" in message, message
        assert dnsmasq["file"].read_text() == bad
        assert sorted(p.name for p in dnsmasq["file"].parent.iterdir()) == ["lan.conf"] + sorted(
            p.name for p in dnsmasq["file"].parent.glob("*~"))
    finally:
        dnsmasq["file"].write_text(dnsmasq["original"])
