# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's glue: options, the survey's verdict, warnings, no Secret data in the result.

The cluster is a fake (the rules are tested in module_utils/_kube/test_lb_survey.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeError
from ansible_collections.baremetal.exposure.plugins.modules import load_balancer_info

SECRET = "c3VwZXItc2VjcmV0"


class FakeApi:
    """MetalLB (native manifests) in metallb-system, with a Secret holding data."""

    fail = None

    def get(self, api_version, kind, name, namespace=None):
        if self.fail:
            raise KubeError(self.fail)
        if kind == "CustomResourceDefinition" and name == "ipaddresspools.metallb.io":
            return {"metadata": {"name": name, "labels": {}}, "spec": {"versions": []},
                    "status": {"conditions": [{"type": "Established", "status": "True"}]}}
        if kind == "Namespace":
            return {"metadata": {"name": name}}
        if kind == "Secret":
            return {"metadata": {"name": name}, "data": {"key": SECRET}}
        return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        if kind == "Deployment":
            return [{"metadata": {"namespace": "metallb-system", "name": "controller",
                                  "labels": {"app": "metallb"}},
                     "spec": {"replicas": 1, "template": {"spec": {"containers": [
                         {"name": "controller", "image": "quay.io/metallb/controller:v0.16.1"}]}}}}]
        return []


@pytest.fixture
def fake(monkeypatch):
    api = FakeApi()
    warnings = []

    def module(**kw):
        built = AnsibleK8SModule(check_k8s=False, **kw)
        built.warn = warnings.append
        return built

    monkeypatch.setattr(load_balancer_info, "AnsibleK8SModule", module)
    monkeypatch.setattr(load_balancer_info, "get_api_client", lambda module: None)
    monkeypatch.setattr(load_balancer_info, "KubeApi", lambda client: api)
    api.warnings = warnings
    return api


def _main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            load_balancer_info.main()
    return json.loads(capsys.readouterr().out)


def test_metallb_blocks_without_migrate(capsys, fake):
    result = _main(capsys, {"site": "lab"})
    assert result["changed"] is False and result["migrate"] is False
    assert len(result["blocking"]) == 1 and "MetalLB" in result["blocking"][0]
    assert result["cluster"]["namespace_exists"] is True
    assert result["cluster"]["heartbeat_secret_exists"] is True
    assert result["cluster"]["crds"] == {"ipaddresspools.metallb.io": {"ours": False,
                                                                       "established": True}}
    assert result["cluster"]["crds_established"] is False
    assert SECRET not in json.dumps(result)


def test_metallb_with_migrate_is_a_migration(capsys, fake):
    result = _main(capsys, {"site": "lab", "migrate_from": "metallb", "_ansible_check_mode": True})
    assert result["blocking"] == [] and result["migrate"] is True
    assert result["metallb"]["controllers"][0]["name"] == "controller"


def test_warnings_are_module_warnings(capsys, fake):
    _main(capsys, {"site": "lab", "load_balancer_class": "x"})
    fake.list = lambda *a, **k: []
    fake.get = lambda *a, **k: None
    result = _main(capsys, {"site": "lab", "migrate_from": "metallb"})
    assert "warnings" not in result or isinstance(result["warnings"], list)
    assert any("no MetalLB was found" in w for w in fake.warnings)


def test_api_errors_fail_with_the_reason(capsys, fake):
    fake.fail = "reading CustomResourceDefinition ipaddresspools.metallb.io: 403 Forbidden"
    result = _main(capsys, {"site": "lab"})
    assert result["failed"] is True
    assert result["msg"].startswith("load_balancer_info: reading CustomResourceDefinition")
