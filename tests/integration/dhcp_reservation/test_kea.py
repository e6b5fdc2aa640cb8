"""dhcp_reservation against the lab's real Kea: udhcpc clients before and after the role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.config import LabConfig
from exposure_lab.dhcp import kea_command
from exposure_lab.dhcp_client import acquire, client_mac

from ansible_runner import AnsibleRunner
from reservation_helpers import PLAYBOOK, in_vip, kea_plan

BASE = 0x3000  # our client numbers: 02:00:5e:30:30:xx and up, apart from other tests
TASK = "baremetal.exposure.dhcp_reservation : Keep the VIP ranges out of Kea's pools"


def pools(lab: Lab) -> list[str]:
    return [p["pool"] for p in kea_command(lab, "config-get")["arguments"]["Dhcp4"]["subnet4"][0]["pools"]]


def run(ansible: AnsibleRunner, check: bool = False, diff: bool = False,
        env: dict[str, str] | None = None, kea: dict[str, Any] | None = None, **extra: Any):
    settings = {"url": ansible.lab.info("kea")["url"], **(kea or {})}
    plan = kea_plan(**settings)
    return ansible.playbook(PLAYBOOK, check=check, diff=diff, env=env,
                            extra_vars={"exposure_plan": plan, **extra})


@pytest.fixture(scope="module")
def kea(lab: Lab) -> Iterator[dict[str, Any]]:
    original = kea_command(lab, "config-get")["arguments"]
    config_file = Path(lab.info("kea")["config"])
    original_file = config_file.read_text()
    state: dict[str, Any] = {"macs": []}
    yield state
    kea_command(lab, "config-set", original)
    config_file.write_text(original_file)
    for lease in kea_command(lab, "lease4-get-all").get("arguments", {}).get("leases", []):
        if lease["hw-address"] in state["macs"]:
            kea_command(lab, "lease4-del", {"ip-address": lease["ip-address"]})


def test_before_reservation_kea_hands_out_vip_addresses(lab: Lab, kea: dict[str, Any]) -> None:
    assert pools(lab) == ["198.51.100.100-198.51.100.199"], "the lab's Kea is not in its start state"
    inside = []
    for n in range(BASE, BASE + 100):
        mac = client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, n)
        lease = acquire(lab, mac)
        assert lease is not None, f"no offer from Kea for {mac}"
        kea["macs"].append(mac)
        if not in_vip(lease.ip):
            kea.setdefault("keeper", lease)
        else:
            inside.append(lease)
            if len(inside) == 2:
                break
    assert inside, "no lease landed in the VIP range before reservation"
    assert "keeper" in kea, "no lease outside the VIP range to follow"
    kea["inside"] = inside


def test_a_lease_inside_the_vip_range_fails_the_run(lab: Lab, ansible: AnsibleRunner,
                                                    kea: dict[str, Any]) -> None:
    before = kea_command(lab, "config-get")["arguments"]
    result = run(ansible)
    assert result.rc != 0
    message = " ".join(result.failure_messages())
    for lease in kea["inside"]:
        assert lease.ip in message and lease.mac in message, message
    assert "ignore_existing_leases" in message
    assert kea_command(lab, "config-get")["arguments"] == before
    # Told to ignore them, it goes on (in check mode here: nothing changes yet).
    ignored = run(ansible, check=True, dhcp_reservation_ignore_existing_leases=True)
    assert ignored.rc == 0, ignored.stdout
    assert ignored.changed == 1


def test_unreachable_agent_and_missing_password_fail_clearly(ansible: AnsibleRunner) -> None:
    url = "http://198.51.100.2:8999/"
    result = run(ansible, kea={"url": url, "timeout": 3})
    assert result.rc != 0
    message = " ".join(result.failure_messages())
    assert url in message, message
    nopass = run(ansible, env={"KEA_API_USER": "", "KEA_API_PASSWORD": ""}, kea={"username": None})
    assert nopass.rc != 0
    message = " ".join(nopass.failure_messages())
    assert "exposure_dhcp.kea.password" in message and "kea1" in message, message


def test_check_mode_changes_nothing_and_diff_shows_the_pools(lab: Lab, ansible: AnsibleRunner,
                                                             kea: dict[str, Any]) -> None:
    for lease in kea.pop("inside"):
        assert kea_command(lab, "lease4-del", {"ip-address": lease.ip})["result"] == 0
    before = kea_command(lab, "config-get")["arguments"]
    result = run(ansible, check=True, diff=True)
    assert result.rc == 0, result.stdout
    assert result.changed == 1
    assert kea_command(lab, "config-get")["arguments"] == before
    task = result.task_results(TASK)["kea1"]
    assert "pool 198.51.100.100-198.51.100.199" in task["diff"]["before"]
    assert "pool 198.51.100.100-198.51.100.179" in task["diff"]["after"]


def test_reservation_then_no_client_gets_a_vip(lab: Lab, ansible: AnsibleRunner,
                                               kea: dict[str, Any]) -> None:
    result = run(ansible, diff=True)
    assert result.rc == 0, result.stdout
    assert result.changed == 1
    assert pools(lab) == ["198.51.100.100-198.51.100.179"]
    saved = json.loads(Path(lab.info("kea")["config"]).read_text())
    assert [p["pool"] for p in saved["Dhcp4"]["subnet4"][0]["pools"]] == ["198.51.100.100-198.51.100.179"]
    reservations = kea_command(lab, "config-get")["arguments"]["Dhcp4"]["subnet4"][0]["reservations"]
    assert [r["ip-address"] for r in reservations] == ["198.51.100.90"]

    again = run(ansible)
    assert again.rc == 0 and again.changed == 0, again.stdout

    # Free the leases the first test took (all but the keeper), so the smaller pool has room.
    for lease in kea_command(lab, "lease4-get-all")["arguments"]["leases"]:
        if lease["hw-address"] in kea["macs"] and lease["hw-address"] != kea["keeper"].mac:
            kea_command(lab, "lease4-del", {"ip-address": lease["ip-address"]})
    got = []
    for n in range(BASE + 0x100, BASE + 0x100 + 110):
        if len(got) < n - BASE - 0x100 - 3:
            break  # the pool is exhausted: no point waiting for more timeouts
        mac = client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, n)
        lease = acquire(lab, mac)
        kea["macs"].append(mac)
        if lease is not None:
            got.append(lease.ip)
            # Give the address back at once, so 110 clients fit the 80-address pool.
            kea_command(lab, "lease4-del", {"ip-address": lease.ip})
    assert len(got) >= 100, f"only {len(got)} of 110 clients got a lease"
    assert not [ip for ip in got if in_vip(ip)]

    keeper = kea["keeper"]
    again = acquire(lab, keeper.mac)
    assert again is not None and again.ip == keeper.ip
    answer = kea_command(lab, "lease4-get", {"ip-address": keeper.ip})
    assert answer["result"] == 0 and answer["arguments"]["hw-address"] == keeper.mac
