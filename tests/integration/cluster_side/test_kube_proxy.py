"""The kube_proxy role on the lab's cluster, for each shape kube-proxy's configuration takes.

The lab has no IPVS in its kernel, so its own kube-proxy runs in nftables (or iptables) mode:
the role must leave it alone. The IPVS shapes run against a copy: a ConfigMap with kubeadm's
config.conf and a DaemonSet of pause containers (a stand-in for kube-proxy that really rolls
out on the lab's nodes) in a namespace of their own, named through exposure_plan.kube_proxy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from exposure_lab.kube.manifests import KUBE_PROXY_CONFIG

from cluster_side_lab import Kube, changed_tasks, eventually, lab_plan, ok, run_role

TASK = "baremetal.exposure.kube_proxy : Set kube-proxy's strictARP when it runs in IPVS mode"
ANNOTATION = "baremetal.exposure/kube-proxy-config"


def config(mode: str, strict_arp: bool = False) -> str:
    """The lab's own kube-proxy configuration (kubeadm's shape, nftables mode) in `mode`."""
    assert KUBE_PROXY_CONFIG.count("\nmode: nftables\n") == 1
    assert KUBE_PROXY_CONFIG.count("strictARP: false") == 1
    text = KUBE_PROXY_CONFIG.replace("\nmode: nftables\n", f"\nmode: {mode}\n")
    return text.replace("strictARP: false", f"strictARP: {str(strict_arp).lower()}")


@pytest.fixture
def namespace(kube: Kube) -> Iterator[str]:
    name = f"kp-{uuid.uuid4().hex[:6]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    kube.delete("v1", "Namespace", name)


def stand_in(kube: Kube, namespace: str, text: str | None, pause: str) -> None:
    """kube-proxy's ConfigMap (unless text is None) and a DaemonSet that rolls out for real."""
    if text is not None:
        kube.apply({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kube-proxy", "namespace": namespace},
                    "data": {"config.conf": text, "kubeconfig.conf": "apiVersion: v1\nkind: Config\n"}},
                   manager="kubeadm")
    labels = {"k8s-app": "kube-proxy-test"}
    kube.apply({"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "kube-proxy", "namespace": namespace},
                "spec": {"selector": {"matchLabels": labels}, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"tolerations": [{"operator": "Exists"}],
                             "containers": [{"name": "pause", "image": pause,
                                             "imagePullPolicy": "IfNotPresent"}]}}}},
               manager="kubeadm")
    eventually(lambda: _rolled_out(kube, namespace), 120, what="stand-in DaemonSet rolled out")


def _rolled_out(kube: Kube, namespace: str) -> bool:
    ds = kube.get("apps/v1", "DaemonSet", "kube-proxy", namespace) or {}
    st = ds.get("status") or {}
    return bool(st.get("desiredNumberScheduled")) and st.get("observedGeneration") == ds["metadata"]["generation"] \
        and st.get("numberAvailable") == st.get("updatedNumberScheduled") == st["desiredNumberScheduled"]


def plan_for(lab: Any, kubeconfig: str, images: dict[str, str], namespace: str, **kube_proxy: Any) -> dict[str, Any]:
    plan = lab_plan(lab, kubeconfig, images)
    plan["kube_proxy"].update(namespace=namespace, **kube_proxy)
    return plan


def result_of(result: Any) -> dict[str, Any]:
    (found,) = result.task_results(TASK).values()
    return dict(found)


def test_ipvs_gets_strict_arp_and_a_rollout(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                            images: dict[str, str], namespace: str) -> None:
    stand_in(kube, namespace, config("ipvs"), images["pause"])
    plan = plan_for(lab, kubeconfig, images, namespace)
    pods_before = {p["metadata"]["name"] for p in kube.objects("v1", "Pod", namespace)}

    check = ok(run_role(ansible, "kube_proxy", plan, check=True))
    found = result_of(check)
    assert found["changed"] is True and found["situation"] == "ipvs"
    assert "strictARP: true" in found["diff"]["after"] and "strictARP: false" in found["diff"]["before"]
    assert "strictARP: false" in kube.get("v1", "ConfigMap", "kube-proxy", namespace)["data"]["config.conf"]

    first = ok(run_role(ansible, "kube_proxy", plan))
    assert changed_tasks(first) == {TASK}
    text = kube.get("v1", "ConfigMap", "kube-proxy", namespace)["data"]["config.conf"]
    # Exactly the one line changed: quoting ("0"), nulls and key order as kubeadm wrote them.
    assert text == config("ipvs").replace("strictARP: false", "strictARP: true")
    ds = kube.get("apps/v1", "DaemonSet", "kube-proxy", namespace)
    assert ANNOTATION in ds["spec"]["template"]["metadata"]["annotations"]
    assert _rolled_out(kube, namespace)
    pods_after = {p["metadata"]["name"] for p in kube.objects("v1", "Pod", namespace)}
    assert not pods_before & pods_after, "the DaemonSet's pods were not replaced"
    assert "deprecated upstream" in first.stdout

    second = ok(run_role(ansible, "kube_proxy", plan))
    assert second.changed == 0, changed_tasks(second)
    check_again = ok(run_role(ansible, "kube_proxy", plan, check=True))
    assert check_again.changed == 0


def test_ipvs_with_strict_arp_already_true_is_left_alone(lab: Any, ansible: Any, kube: Kube,
                                                         kubeconfig: str, images: dict[str, str],
                                                         namespace: str) -> None:
    stand_in(kube, namespace, config("ipvs", strict_arp=True), images["pause"])
    generation = kube.get("apps/v1", "DaemonSet", "kube-proxy", namespace)["metadata"]["generation"]
    result = ok(run_role(ansible, "kube_proxy", plan_for(lab, kubeconfig, images, namespace)))
    assert result.changed == 0
    assert kube.get("apps/v1", "DaemonSet", "kube-proxy", namespace)["metadata"]["generation"] == generation


@pytest.mark.parametrize("mode", ["iptables", "nftables", '""'])
def test_other_modes_change_nothing_and_say_why(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                                images: dict[str, str], namespace: str, mode: str) -> None:
    stand_in(kube, namespace, config(mode), images["pause"])
    before = kube.get("v1", "ConfigMap", "kube-proxy", namespace)
    result = ok(run_role(ansible, "kube_proxy", plan_for(lab, kubeconfig, images, namespace)))
    assert result.changed == 0
    found = result_of(result)
    assert found["situation"] == ("nftables" if mode == "nftables" else "iptables")
    assert "strictARP only matters in IPVS mode" in found["msg"]
    assert kube.get("v1", "ConfigMap", "kube-proxy", namespace)["metadata"]["resourceVersion"] \
        == before["metadata"]["resourceVersion"]


def test_no_configmap_changes_nothing_and_says_why(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                                   images: dict[str, str], namespace: str) -> None:
    result = ok(run_role(ansible, "kube_proxy", plan_for(lab, kubeconfig, images, namespace)))
    assert result.changed == 0
    found = result_of(result)
    assert found["situation"] == "no_configmap"
    assert "k3s and k0s embed it" in found["msg"]


def test_manage_false_only_reports(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                   images: dict[str, str], namespace: str) -> None:
    stand_in(kube, namespace, config("ipvs"), images["pause"])
    result = ok(run_role(ansible, "kube_proxy", plan_for(lab, kubeconfig, images, namespace, manage=False)))
    assert result.changed == 0
    assert result_of(result)["would_change"] is True
    assert "strictARP: false" in kube.get("v1", "ConfigMap", "kube-proxy", namespace)["data"]["config.conf"]


def test_the_labs_own_kube_proxy_is_left_alone(lab: Any, ansible: Any, kube: Kube, kubeconfig: str,
                                               images: dict[str, str]) -> None:
    before = kube.get("v1", "ConfigMap", "kube-proxy", "kube-system")
    mode = yaml.safe_load(before["data"]["config.conf"]).get("mode")
    assert mode != "ipvs", "the lab's kernel has no IPVS: its kube-proxy cannot run in IPVS mode"
    result = ok(run_role(ansible, "kube_proxy", lab_plan(lab, kubeconfig, images)))
    assert result.changed == 0
    after = kube.get("v1", "ConfigMap", "kube-proxy", "kube-system")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
