# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import proxy, proxy_config
from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeConflict

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "test_proxy.yml")) as _f:
    CASES = yaml.safe_load(_f)["cases"]
with open(os.path.join(HERE, "test_proxy_config.yml")) as _f:
    KUBEADM = yaml.safe_load(_f)["kubeadm"]
MANAGER = "baremetal.exposure"
CONCURRENT_KEY = "edited-meanwhile"


class FakeApi:
    """An apiserver holding kube-proxy's ConfigMap and DaemonSet, scripted per case."""

    def __init__(self, case):
        self.case = case
        self.writes = []
        self.conflicts = case.get("conflicts", 0)
        self.polls = 0
        self.objects = {}
        data = case.get("configmap", "default")
        if data == "default":
            text = KUBEADM
            for old, new in case.get("substitute", []):
                text = text.replace(old, new)
            data = {"config.conf": text, "kubeconfig.conf": "apiVersion: v1\nkind: Config\n"}
        if data is not None:
            managed = [{"manager": "kubeadm", "operation": "Update"}]
            if case.get("written_by_us"):
                managed.append({"manager": MANAGER, "operation": "Update"})
            self.objects["ConfigMap"] = {
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                             "resourceVersion": "100", "managedFields": managed},
                "data": data}
        if case.get("daemonset", True):
            annotations = {}
            if case.get("annotation_matches"):
                annotations[proxy.ROLLOUT_ANNOTATION] = proxy_config.config_hash(
                    self.objects["ConfigMap"]["data"]["config.conf"])
            self.objects["DaemonSet"] = {
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system", "generation": 1},
                "spec": {"template": {"metadata": {"annotations": annotations}}},
                "status": self._status(1, 3)}

    @staticmethod
    def _status(generation, updated):
        return {"observedGeneration": generation, "desiredNumberScheduled": 3,
                "updatedNumberScheduled": updated, "numberAvailable": updated}

    def get(self, api_version, kind, name, namespace=None):
        found = self.objects.get(kind)
        if kind == "DaemonSet" and found and found["metadata"]["generation"] > 1:
            self.polls += 1
            updated = 0 if self.case.get("rollout_stuck") else min(3, self.polls)
            found["status"] = self._status(found["metadata"]["generation"], updated)
        return copy.deepcopy(found)

    def replace(self, api_version, kind, body, field_manager):
        assert field_manager == MANAGER
        current = self.objects[kind]
        if self.conflicts:
            # Someone else edits the object between our read and our write.
            self.conflicts -= 1
            current["data"][CONCURRENT_KEY] = "yes"
            current["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        if body["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise KubeConflict("conflict")
        assert "managedFields" not in body["metadata"]
        stored = copy.deepcopy(body)
        stored["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        stored["metadata"]["managedFields"] = current["metadata"]["managedFields"] + [
            {"manager": field_manager, "operation": "Update"}]
        self.objects[kind] = stored
        self.writes.append(kind)
        return copy.deepcopy(stored)

    def apply(self, api_version, kind, body, field_manager, force=False):
        assert field_manager == MANAGER and kind == "DaemonSet"
        current = self.objects[kind]
        # A partial object: only our annotation, nothing else of the DaemonSet.
        assert set(body["spec"]) == {"template"} and set(body["spec"]["template"]) == {"metadata"}
        current["spec"]["template"]["metadata"]["annotations"].update(
            body["spec"]["template"]["metadata"]["annotations"])
        current["metadata"]["generation"] += 1
        self.writes.append(kind)
        return copy.deepcopy(current)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _run(case):
    api = FakeApi(case)
    clock = Clock()
    runner = proxy.KubeProxy(api, "kube-system", "kube-proxy", "kube-proxy", MANAGER,
                             manage=case.get("manage", True),
                             check_mode=case.get("check_mode", False), wait_timeout=10,
                             sleep=clock.sleep, clock=clock)
    return api, runner


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kube_proxy(case):
    api, runner = _run(case)
    if "error" in case:
        with pytest.raises(proxy.ProxyError, match=case["error"]):
            runner.run()
        return
    result = runner.run()
    assert result["situation"] == case["situation"]
    assert result["changed"] is case["changed"]
    assert api.writes == case["writes"]
    if "rolled_out" in case:
        assert result["rolled_out"] is case["rolled_out"]
    if "would_change" in case:
        assert result["would_change"] is case["would_change"]
    if "msg" in case:
        assert case["msg"] in result["msg"]
    if "warns" in case:
        assert any(case["warns"] in w for w in result["warnings"]), result["warnings"]
    else:
        assert all("restart kube-proxy" not in w for w in result["warnings"])
    if case.get("kept_concurrent_edit"):
        assert api.objects["ConfigMap"]["data"][CONCURRENT_KEY] == "yes"
    configmap = api.objects.get("ConfigMap")
    if "ConfigMap" in api.writes:
        text = configmap["data"]["config.conf"]
        assert proxy_config.strict_arp(proxy_config.parse(text))
        assert configmap["data"]["kubeconfig.conf"].startswith("apiVersion: v1")
    if "DaemonSet" in api.writes:
        annotations = api.objects["DaemonSet"]["spec"]["template"]["metadata"]["annotations"]
        assert annotations[proxy.ROLLOUT_ANNOTATION] == proxy_config.config_hash(
            configmap["data"]["config.conf"])


def test_a_second_run_changes_nothing():
    case = {"id": "twice"}
    api, runner = _run(case)
    assert runner.run()["changed"] is True
    again = proxy.KubeProxy(api, "kube-system", "kube-proxy", "kube-proxy", MANAGER)
    result = again.run()
    assert result["changed"] is False and result["strict_arp"] is True
    assert api.writes == ["ConfigMap", "DaemonSet"]


def test_check_mode_reports_the_new_text():
    api, runner = _run({"id": "check", "check_mode": True})
    result = runner.run()
    assert "strictARP: false" in result["before"]
    assert result["after"] == result["before"].replace("strictARP: false", "strictARP: true")
    assert result["rollout_annotation"] == {
        proxy.ROLLOUT_ANNOTATION: proxy_config.config_hash(result["after"])}
