# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""vip_check, lb_diagnose and lb_summary as modules: argument specs, results, check mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import ProbeError
from ansible_collections.baremetal.exposure.plugins.modules import lb_diagnose, lb_summary, vip_check

PLAN = {"site": "lab", "nodes": [{"name": "node1", "addresses": ["198.51.100.11"]}],
        "pools": [{"name": "ingress", "announce": "layer2", "size": 10,
                   "ranges": [{"first": "198.51.100.200", "last": "198.51.100.209"}]}]}
SERVICE = {"metadata": {"name": "front", "namespace": "web"},
           "spec": {"type": "LoadBalancer", "selector": {"app": "front"}, "ports": [{"port": 80}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.200"}]}}}


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def run_module(monkeypatch, module, args, check=False):
    args = dict(args, _ansible_check_mode=check)
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)

    def exit_json(self, **result):
        raise Exit(result, False)

    def fail_json(self, **result):
        raise Exit(result, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with pytest.raises(Exit) as exc:
        module.main()
    return exc.value


def vip_params(**changes):
    base = {"resolve": [], "interface": None, "connect": [], "http": [], "expect_status": None,
            "expect_body": None, "timeout": 5.0, "resolve_retries": 2, "resolve_timeout": 0.5}
    base.update(changes)
    return base


def test_vip_check_ok_needs_every_answer_connection_and_expected_answer():
    def resolver(links, addresses, interface, retries, timeout):
        return {"interface": "eth0", "answers": {"198.51.100.200": ["02:00:5e:10:00:0c"]}, "unresolved": {}}

    def connector(address, port, timeout):
        return {"address": address, "port": port, "ok": True, "error": None}

    def getter(address, port, path, host, timeout):
        return {"address": address, "port": port, "status": 200, "body": "hello", "error": None}

    params = vip_params(resolve=["198.51.100.200"], connect=[{"address": "198.51.100.200", "port": 80}],
                        http=[{"address": "198.51.100.200", "port": 80, "path": "/", "host": None}],
                        expect_status=200, expect_body="hell")
    found = vip_check.run(params, [], resolver, connector, getter)
    assert found["ok"] is True and found["changed"] is False
    assert vip_check.run(dict(params, expect_body="bye"), [], resolver, connector, getter)["ok"] is False


def test_vip_check_without_raw_sockets_reports_instead_of_failing():
    def resolver(links, addresses, interface, retries, timeout):
        raise ProbeError("raw sockets need root or CAP_NET_RAW on the probing host (become: true)")

    found = vip_check.run(vip_params(resolve=["198.51.100.200"]), [], resolver)
    assert found["answers"] == {}
    assert "CAP_NET_RAW" in found["unresolved"]["198.51.100.200"]


def test_vip_check_refuses_what_is_not_an_address(monkeypatch):
    out = run_module(monkeypatch, vip_check, {"connect": [{"address": "vip.example", "port": 80}]})
    assert out.failed and "not IP addresses: vip.example" in out.result["msg"]


def test_vip_check_refuses_a_relative_path(monkeypatch):
    out = run_module(monkeypatch, vip_check, {"http": [{"address": "198.51.100.200", "path": "x"}]})
    assert out.failed and "must start with /" in out.result["msg"]


def test_lb_diagnose_reports_and_never_fails_on_a_broken_path(monkeypatch):
    out = run_module(monkeypatch, lb_diagnose, {
        "plan": PLAN, "target": {"namespace": "web", "name": "front"}, "service": SERVICE}, check=True)
    assert not out.failed and out.result["changed"] is False
    diagnosis = out.result["diagnosis"]
    assert (diagnosis["ok"], diagnosis["broken_step"], diagnosis["broken"]) == (False, 4, "endpoints")


def test_lb_diagnose_needs_a_target(monkeypatch):
    out = run_module(monkeypatch, lb_diagnose, {"plan": PLAN, "target": {"name": "front"}})
    assert out.failed and "target needs namespace and name" in out.result["msg"]


def test_lb_summary(monkeypatch):
    out = run_module(monkeypatch, lb_summary, {"plan": PLAN, "services": [SERVICE]}, check=True)
    assert not out.failed and out.result["changed"] is False
    assert out.result["summary"]["pools"][0]["vips"] == ["198.51.100.200"]
    assert out.result["summary"]["lines"][0] == "## Site lab: load balancer"
