# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's glue: options, auth handed to kubernetes.core, check mode, diff, failures.

The cluster is a fake (the logic is tested in module_utils/_kube/test_proxy.py); the
kubernetes library is not needed (the core 2.19 venv does not have it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeError
from ansible_collections.baremetal.exposure.plugins.modules import kube_proxy

CONFIG = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nipvs:\n  strictARP: false\n" \
         "kind: KubeProxyConfiguration\nmode: ipvs\n"


class FakeApi:
    def __init__(self, fail=None):
        self.fail = fail
        self.writes = []

    def get(self, api_version, kind, name, namespace=None):
        if self.fail:
            raise KubeError(self.fail)
        if kind == "ConfigMap":
            return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
                    "data": {"config.conf": CONFIG}}
        return None  # no DaemonSet

    def replace(self, api_version, kind, body, field_manager):
        self.writes.append((kind, field_manager, body["data"]["config.conf"]))
        return body


@pytest.fixture
def fake(monkeypatch):
    api = FakeApi()
    seen = {}

    def client(module):
        seen.update(module.params)
        return "client"

    warnings = []

    def module(**kw):
        built = AnsibleK8SModule(check_k8s=False, **kw)
        # Recorded here: once controller code is loaded in this process (other tests),
        # module warnings go to the display instead of the result.
        built.warn = warnings.append
        return built

    monkeypatch.setattr(kube_proxy, "AnsibleK8SModule", module)
    monkeypatch.setattr(kube_proxy, "get_api_client", client)
    monkeypatch.setattr(kube_proxy, "KubeApi", lambda c: api)
    api.seen = seen
    api.warnings = warnings
    return api


def _main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            kube_proxy.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_with_diff_writes_nothing(capsys, fake):
    result = _main(capsys, {"kubeconfig": "/tmp/kc", "context": "lab",
                            "_ansible_check_mode": True, "_ansible_diff": True})
    assert result["changed"] is True and result["situation"] == "ipvs"
    assert result["msg"].endswith("strictARP would be set to true in kube-system/kube-proxy")
    assert fake.writes == []
    assert "strictARP: true" in result["diff"]["after"]
    assert result["diff"]["before_header"] == "kube-system/kube-proxy config.conf"
    assert any("deprecated upstream" in w for w in fake.warnings)
    # The auth options reach kubernetes.core's client builder untouched.
    assert fake.seen["kubeconfig"] == "/tmp/kc" and fake.seen["context"] == "lab"


def test_real_run_writes_with_our_field_manager(capsys, fake):
    result = _main(capsys, {"field_manager": "someone"})
    assert result["changed"] is True
    assert fake.writes[0][:2] == ("ConfigMap", "someone")
    assert "diff" not in result and "before" not in result
    assert any("restart kube-proxy" in w for w in fake.warnings)


def test_api_errors_fail_with_the_reason(capsys, fake):
    fake.fail = "reading ConfigMap kube-system/kube-proxy: 403 Forbidden"
    result = _main(capsys, {})
    assert result["failed"] is True
    assert result["msg"] == "kube_proxy: reading ConfigMap kube-system/kube-proxy: 403 Forbidden"
