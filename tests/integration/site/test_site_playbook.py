"""playbooks/site.yml against the lab site, as an operator runs it.

On the lab's starting state: `--check --diff` changes nothing anywhere and announces the changes;
the real run makes exactly those changes (NetBox ranges, Kea pools, router filters); a second
run changes nothing; afterwards 110 real DHCP clients never get a pool address and a lease
taken before the run survives. This module leaves the lab changed, so it runs last (conftest).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from exposure_lab import Lab
from exposure_lab.config import LabConfig
from exposure_lab.dhcp import kea_command
from exposure_lab.dhcp_client import acquire, client_mac
from exposure_lab.frr import RouterFrr

from ansible_runner import REPO, AnsibleRunner, PlaybookResult

SITE = REPO / "playbooks" / "site.yml"
# The lab site's layer-2 IPv4 pools (lab/inventory/group_vars/site_lab.yml).
POOLS_V4 = [("198.51.100.180", "198.51.100.199"), ("198.51.100.200", "198.51.100.209")]


def in_pools(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(ipaddress.ip_address(a) <= address <= ipaddress.ip_address(b) for a, b in POOLS_V4)


def netbox_ranges(lab: Lab) -> list[dict[str, Any]]:
    info = lab.info("netbox")
    request = urllib.request.Request(f"{info['url']}/api/ipam/ip-ranges/?limit=0",
                                     headers={"Authorization": info["auth_header"],
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["results"]


def systems(lab: Lab) -> dict[str, Any]:
    """Everything site.yml may change, as comparable data."""
    dnsmasq_dir = Path(lab.info("dnsmasq")["dir"])
    return {
        "kea": kea_command(lab, "config-get")["arguments"],
        "dnsmasq": {str(p): p.read_text() for p in sorted(dnsmasq_dir.rglob("*.conf"))},
        "netbox": sorted((r["start_address"], r["end_address"], r["status"]["value"])
                         for r in netbox_ranges(lab)),
        "router": RouterFrr().instance(lab).vtysh("show running-config"),
    }


def changed_tasks(result: PlaybookResult) -> set[tuple[str, str]]:
    return {(task["task"]["name"], host)
            for play in result.plays for task in play.get("tasks", [])
            for host, res in task["hosts"].items() if res.get("changed")}


def run_site(ansible: AnsibleRunner, tmp_path: Path, check: bool = False) -> PlaybookResult:
    result = ansible.playbook(SITE, check=check, diff=True,
                              extra_vars={"address_plan_report_dir": str(tmp_path)})
    assert result.rc == 0, "\n".join(result.failure_messages()) or result.stderr[-3000:]
    return result


@pytest.fixture(scope="module", autouse=True)
def fresh_lab_only(lab_reused: bool) -> None:
    if lab_reused:
        pytest.skip("needs the lab's starting state; runs only on a fresh lab")


@pytest.fixture(scope="module")
def kept_lease(lab: Lab) -> Any:
    """A lease from the dynamic range taken before the run: it must survive the reservation."""
    lease = acquire(lab, client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, 0x5E01))
    assert lease is not None and not in_pools(lease.ip)
    return lease


@pytest.fixture(scope="module")
def check_run(lab: Lab, ansible: AnsibleRunner, kept_lease: Any,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[PlaybookResult, bool]:
    before = systems(lab)
    result = run_site(ansible, tmp_path_factory.mktemp("check"), check=True)
    return result, systems(lab) == before


@pytest.fixture(scope="module")
def real_runs(lab: Lab, ansible: AnsibleRunner, check_run: Any,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[PlaybookResult, PlaybookResult]:
    reports = tmp_path_factory.mktemp("reports")
    return run_site(ansible, reports), run_site(ansible, reports)


def test_check_mode_changes_nothing_and_announces_changes(check_run: Any) -> None:
    result, unchanged = check_run
    assert unchanged, "--check changed Kea, dnsmasq, NetBox or the router"
    assert result.changed > 0


def test_the_real_run_makes_the_changes_check_mode_announced(check_run: Any,
                                                             real_runs: Any) -> None:
    check, _ = check_run
    first, _ = real_runs
    assert changed_tasks(first) == changed_tasks(check)
    assert changed_tasks(first), "the first run changed nothing"


def test_a_second_run_changes_nothing(real_runs: Any) -> None:
    _, second = real_runs
    assert second.changed == 0, changed_tasks(second)


def test_pools_are_reserved_in_netbox_kea_and_the_router(lab: Lab, real_runs: Any) -> None:
    ranges = {(r["start_address"].split("/")[0], r["end_address"].split("/")[0]): r
              for r in netbox_ranges(lab)}
    for first, last in POOLS_V4:
        assert ranges[(first, last)]["status"]["value"] == "reserved"
        assert ranges[(first, last)]["mark_populated"] is True
    pools = kea_command(lab, "config-get")["arguments"]["Dhcp4"]["subnet4"][0]["pools"]
    assert [p["pool"] for p in pools] == ["198.51.100.100-198.51.100.179"]
    running = RouterFrr().instance(lab).vtysh("show running-config")
    assert "203.0.113.0/26 ge 32" in running


def test_no_dhcp_client_gets_a_pool_address_and_old_leases_survive(
        lab: Lab, real_runs: Any, kept_lease: Any) -> None:
    again = acquire(lab, kept_lease.mac)
    assert again is not None and again.ip == kept_lease.ip
    handed_out = []
    for n in range(110):
        lease = acquire(lab, client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, 0x6000 + n))
        assert lease is not None, f"client {n} got no lease"
        handed_out.append(lease.ip)
        # The dynamic range has 80 addresses: free each lease so all 110 clients get one.
        assert kea_command(lab, "lease4-del", {"ip-address": lease.ip})["result"] == 0
    assert [ip for ip in handed_out if in_pools(ip)] == []
