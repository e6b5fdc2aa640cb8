# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import lb_survey

with open(os.path.join(os.path.dirname(__file__), "test_lb_survey.yml")) as _f:
    CASES = yaml.safe_load(_f)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_survey(case):
    found = dict(case["found"])
    found["webhooks"] = [dict(w, services=[tuple(s) for s in w["services"]])
                         for w in found.get("webhooks", [])]
    result = lb_survey.survey(found, "metallb-system", case.get("migrate_from", "none"),
                              case.get("import_legacy", False), case.get("lb_class"))
    assert len(result["blocking"]) == len(case["blocking"]), result["blocking"]
    for message, expected in zip(result["blocking"], case["blocking"]):
        assert expected in message
    for expected in case.get("warnings", []):
        assert any(expected in w for w in result["warnings"]), result["warnings"]
    if "migrate" in case:
        assert result["migrate"] is case["migrate"]
    for key, value in case.get("metallb", {}).items():
        assert result["metallb"][key] == value, key


class FakeApi:
    """Answers fetch's reads from a small cluster: MetalLB next to a Secret and our pools."""

    def __init__(self):
        self.calls = []

    def get(self, api_version, kind, name, namespace=None):
        self.calls.append(("get", kind, name))
        if kind == "CustomResourceDefinition" and name in lb_survey.OUR_CRDS:
            return {"metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "baremetal-lb"}},
                    "spec": {"versions": [{"name": "v1beta1", "served": True}]},
                    "status": {"conditions": [{"type": "Established", "status": "True"}]}}
        if kind == "Namespace":
            return {"metadata": {"name": name}}
        if kind == "Secret":
            return {"metadata": {"name": name}, "data": {"key": "c2VjcmV0"}}
        return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        self.calls.append(("list", kind, namespace, label_selector))
        if kind == "DaemonSet":
            return [{"metadata": {"namespace": "metallb-system", "name": "speaker",
                                  "labels": {"app": "metallb"}},
                     "spec": {"template": {"spec": {"containers": [
                         {"name": "speaker", "image": "quay.io/metallb/speaker:v0.15.2",
                          "env": [{"name": "METALLB_NODE_NAME",
                                   "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}]}}}}]
        if kind == "Pod":
            return [{"metadata": {"namespace": "kube-system", "name": "coredns-1",
                                  "ownerReferences": [{"kind": "ReplicaSet"}]}, "spec": {}}]
        if kind == "IPAddressPool":
            return [{"metadata": {"name": "ingress", "namespace": namespace, "managedFields": [
                {"manager": "baremetal.exposure"}, {"manager": "baremetal-lb"}]}}]
        if kind == "Secret":
            return [{"metadata": {"name": "baremetal-lb-bgp", "namespace": namespace,
                                  "managedFields": [{"manager": "baremetal.exposure"}]},
                     "data": {"password": "c2VjcmV0"}}]
        return []


def test_fetch_reduces_and_never_keeps_secret_data():
    api = FakeApi()
    found = lb_survey.fetch(api, "metallb-system", "lab", "baremetal-lb-heartbeat")
    assert found["namespace_exists"] and found["heartbeat_secret_exists"]
    assert found["workloads"] == [{
        "kind": "DaemonSet", "namespace": "metallb-system", "name": "speaker",
        "labels": {"app": "metallb"}, "replicas": None,
        "containers": [{"name": "speaker", "image": "quay.io/metallb/speaker:v0.15.2", "env": {}}]}]
    assert found["kube_system_pods"] == []
    assert found["managed"] == [
        {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "name": "ingress",
         "namespace": "metallb-system", "managers": ["baremetal-lb", "baremetal.exposure"]},
        {"apiVersion": "v1", "kind": "Secret", "name": "baremetal-lb-bgp",
         "namespace": "metallb-system", "managers": ["baremetal.exposure"]}]
    assert "c2VjcmV0" not in repr(found)
    selector = "app.kubernetes.io/managed-by=baremetal.exposure,baremetal.exposure/site=lab"
    assert ("list", "BGPPeer", "metallb-system", selector) in api.calls
