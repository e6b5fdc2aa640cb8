"""Ansible reaches the lab's hosts (namespaces) and loads this collection from the checkout."""

from __future__ import annotations

from pathlib import Path

from exposure_lab import Lab

from ansible_runner import AnsibleRunner


def test_a_playbook_runs_in_every_lab_namespace(lab: Lab, ansible: AnsibleRunner,
                                               tmp_path: Path) -> None:
    playbook = tmp_path / "where.yml"
    playbook.write_text("""
- name: Where am I
  hosts: site_lab
  gather_facts: false
  tasks:
    - name: Read the LAN address
      ansible.builtin.command: ip -4 -o addr show dev eth0
      register: addr
      changed_when: false
    - name: Use the collection
      baremetal.exposure.address_ranges:
        addresses: ["{{ ansible_host }}"]
""")
    result = ansible.playbook(playbook)
    assert result.rc == 0, result.stdout + result.stderr
    addresses = result.task_results("Read the LAN address")
    lab_host_of = {"node1": "node1", "node2": "node2", "node3": "node3", "router1": "router",
                   "kea1": "dhcp", "dnsmasq1": "dnsmasq", "client1": "client"}
    assert set(addresses) == set(lab_host_of)
    for host, res in addresses.items():
        assert f" {lab.config.host(lab_host_of[host]).ipv4}/24 " in res["stdout"], host
    assert result.changed == 0
