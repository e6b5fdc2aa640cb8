# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.baremetal.exposure.plugins.module_utils import _deps
from ansible_collections.baremetal.exposure.plugins.modules import address_plan

SITE = {
    "exposure_site": "lab",
    "exposure_lan": [{"subnet": "198.51.100.0/24", "gateway": "198.51.100.1"}],
    "exposure_pools": [{"name": "ingress", "addresses": ["198.51.100.200-198.51.100.209"]}],
    "exposure_dhcp": {"backend": "kea", "dynamic_ranges": ["198.51.100.100-198.51.100.179"]},
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11"]}],
}


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def run_module(monkeypatch, tmp_path, args, check=False, diff=False, environ=None):
    for name in address_plan.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in (environ or {"KEA_API_URL": "http://kea.test:8000/"}).items():
        monkeypatch.setenv(name, value)
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_tmpdir=str(tmp_path))
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)

    def exit_json(self, **result):
        raise Exit(result, False)

    def fail_json(self, **result):
        raise Exit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with pytest.raises(Exit) as exc:
        address_plan.main()
    return exc.value


def test_plan_without_report_changes_nothing(monkeypatch, tmp_path):
    out = run_module(monkeypatch, tmp_path, {"site": SITE})
    assert not out.failed
    assert out.result["changed"] is False
    assert out.result["plan"]["pools"][0]["cidrs"] == ["198.51.100.200/29", "198.51.100.208/31"]
    assert out.result["report_markdown"] == out.result["plan"]["report_markdown"]


def test_report_check_mode_then_write_then_idempotent(monkeypatch, tmp_path):
    path = str(tmp_path / "lab.md")
    out = run_module(monkeypatch, tmp_path, {"site": SITE, "report_path": path}, check=True, diff=True)
    assert out.result["changed"] is True
    assert not os.path.exists(path), "check mode must not write"
    assert out.result["diff"]["before"] == "" and out.result["diff"]["after"].startswith("## Site lab")
    out = run_module(monkeypatch, tmp_path, {"site": SITE, "report_path": path})
    assert out.result["changed"] is True
    with open(path) as handle:
        assert handle.read() == out.result["report_markdown"]
    out = run_module(monkeypatch, tmp_path, {"site": SITE, "report_path": path}, diff=True)
    assert out.result["changed"] is False
    assert out.result["diff"]["before"] == out.result["diff"]["after"]


def test_all_errors_in_one_message_and_as_a_list(monkeypatch, tmp_path):
    site = dict(SITE, exposure_pools=[
        {"name": "apps", "addresses": ["198.51.100.120-198.51.100.130"]},
        {"name": "Bad", "addresses": ["198.51.100.220"]},
    ])
    other = [{"name": "branch", "pools": [{"name": "edge", "addresses": ["198.51.100.220"]}]}]
    path = str(tmp_path / "lab.md")
    out = run_module(monkeypatch, tmp_path, {"site": site, "other_sites": other, "report_path": path})
    assert out.failed and out.result["changed"] is False
    assert len(out.result["errors"]) == 3
    assert out.result["msg"].startswith("The address plan has 3 error(s):\n")
    for error in out.result["errors"]:
        assert error in out.result["msg"]
    assert not os.path.exists(path)


def test_report_directory_missing(monkeypatch, tmp_path):
    out = run_module(monkeypatch, tmp_path, {"site": SITE, "report_path": str(tmp_path / "no" / "lab.md")})
    assert out.failed and "does not exist" in out.result["msg"]


def test_missing_netaddr(monkeypatch, tmp_path):
    monkeypatch.setitem(_deps._IMPORT_ERRORS, "netaddr", "Traceback: no netaddr")
    out = run_module(monkeypatch, tmp_path, {"site": SITE})
    assert out.failed and "netaddr" in out.result["msg"]


def test_the_environment_fills_the_connection_settings(monkeypatch, tmp_path):
    site = dict(SITE, exposure_ipam={"backend": "netbox"})
    out = run_module(monkeypatch, tmp_path, {"site": site}, environ={
        "KEA_API_URL": "http://kea.test:8000/", "NETBOX_API": "https://netbox.test",
        "NETBOX_TOKEN": "nbt_env.secret-from-the-environment",
        "K8S_AUTH_KUBECONFIG": "/etc/kube/admin.conf"})
    plan = out.result["plan"]
    assert plan["ipam"]["url"] == "https://netbox.test" and plan["ipam"]["token_set"] is True
    assert plan["dhcp"]["kea"]["url"] == "http://kea.test:8000/"
    assert plan["kubernetes"]["kubeconfig"] == "/etc/kube/admin.conf"
    assert "secret-from-the-environment" not in json.dumps(out.result)


def test_secrets_are_checked_and_never_returned(monkeypatch, tmp_path):
    site = dict(SITE, exposure_bgp={"router_asn": 64512, "cluster_asn": 64513,
                                    "password": "left-in-the-site-vars"})
    site["exposure_pools"] = SITE["exposure_pools"] + [
        {"name": "routed", "addresses": ["203.0.113.0/26"], "announce": "bgp"}]
    site["routers"] = [{"name": "router1", "addresses": ["198.51.100.1"]}]
    secrets = {"exposure_load_balancer.heartbeat_key": "0123456789abcdef0123456789abcdef"}
    out = run_module(monkeypatch, tmp_path, {"site": site, "secrets": secrets})
    assert not out.failed, out.result
    assert out.result["plan"]["bgp"]["password_set"] is True
    assert out.result["plan"]["load_balancer"]["heartbeat_key_set"] is True
    text = json.dumps(out.result)
    assert "left-in-the-site-vars" not in text and "0123456789abcdef0123456789abcdef" not in text


def test_a_bad_secret_is_named_without_its_value(monkeypatch, tmp_path):
    site = dict(SITE, exposure_bgp={"router_asn": 64512, "cluster_asn": 64513})
    secrets = {"exposure_bgp.password": "two words-and-a-marker"}
    out = run_module(monkeypatch, tmp_path, {"site": site, "secrets": secrets})
    assert out.failed
    assert any("exposure_bgp.password contains a space" in e for e in out.result["errors"])
    assert "a-marker" not in json.dumps(out.result)
