"""Kea and dnsmasq are real DHCP servers: a real client (udhcpc) gets leases from each."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from exposure_lab import Lab
from exposure_lab.config import LabConfig
from exposure_lab.dhcp import kea_command
from exposure_lab.dhcp_client import acquire, client_mac


def _in_dynamic_range(lab: Lab, ip: str) -> bool:
    first, last = (ipaddress.ip_address(a) for a in lab.config.dhcp_range)
    return first <= ipaddress.ip_address(ip) <= last


def test_kea_control_agent_answers_with_auth(lab: Lab) -> None:
    answer = kea_command(lab, "version-get")
    assert answer["result"] == 0
    assert answer["text"].startswith("2.")
    config = kea_command(lab, "config-get")["arguments"]["Dhcp4"]
    assert [p["pool"] for p in config["subnet4"][0]["pools"]] == [
        "-".join(lab.config.dhcp_range)
    ]


def test_a_client_gets_a_lease_from_kea(lab: Lab) -> None:
    mac = client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, 101)
    lease = acquire(lab, mac)
    assert lease is not None, "no offer from Kea"
    assert lease.server == lab.config.dhcp.ipv4
    assert lease.router == lab.config.gateway_v4
    assert _in_dynamic_range(lab, lease.ip)
    # The server has it too, through the lease_cmds hook.
    answer = kea_command(lab, "lease4-get", {"ip-address": lease.ip})
    assert answer["result"] == 0
    assert answer["arguments"]["hw-address"] == mac


def test_a_client_gets_a_lease_from_dnsmasq(lab: Lab) -> None:
    mac = client_mac(LabConfig.DNSMASQ_CLIENT_MAC_PREFIX, 101)
    lease = acquire(lab, mac)
    assert lease is not None, "no offer from dnsmasq"
    assert lease.server == lab.config.dnsmasq.ipv4
    assert _in_dynamic_range(lab, lease.ip)
    leases = Path(lab.info("dnsmasq")["leases"]).read_text()
    assert f"{mac} {lease.ip}" in leases


def test_each_server_answers_only_its_own_clients(lab: Lab) -> None:
    # Both serve the same LAN; the MAC prefix decides, so backends can be tested one at a time.
    kea_leases = {acquire(lab, client_mac(LabConfig.KEA_CLIENT_MAC_PREFIX, n)).server
                  for n in range(110, 115)}
    dnsmasq_leases = {acquire(lab, client_mac(LabConfig.DNSMASQ_CLIENT_MAC_PREFIX, n)).server
                      for n in range(110, 115)}
    assert kea_leases == {lab.config.dhcp.ipv4}
    assert dnsmasq_leases == {lab.config.dnsmasq.ipv4}


def test_a_kea_host_reservation_is_honoured(lab: Lab) -> None:
    lease = acquire(lab, f"{LabConfig.KEA_CLIENT_MAC_PREFIX}:ff:01")
    assert lease is not None
    assert lease.ip == str(ipaddress.ip_address(lab.config.gateway_v4) + 89)
