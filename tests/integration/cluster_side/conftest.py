"""Fixtures for the cluster-side roles against the lab's real cluster.

Needs the lab with real nodes and its locally built images, named in
lab.info("nodes")["images"] (keys baremetal-lb, frr, traefik, pause) or in the environment
(EXPOSURE_IMAGE_BAREMETAL_LB, EXPOSURE_IMAGE_FRR, EXPOSURE_IMAGE_TRAEFIK,
EXPOSURE_IMAGE_PAUSE). What the tests install is removed after the last test of this directory
(the metallb.io and Gateway API CRDs stay: other tests share them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import config  # noqa: E402

from cluster_side_lab import LB_NAMESPACE, Kube  # noqa: E402

IMAGES = ("baremetal-lb", "frr", "traefik", "pause")


@pytest.fixture(scope="session")
def kubeconfig(lab: Any) -> str:
    info = lab.info("kube")
    assert info, "the lab's kube service is not up"
    return str(info["kubeconfig"])


@pytest.fixture(scope="session")
def images(lab: Any) -> dict[str, str]:
    recorded = lab.info("nodes").get("images") or {}
    found: dict[str, Any] = {}
    for name in IMAGES:
        env = "EXPOSURE_IMAGE_" + name.upper().replace("-", "_")
        found[name] = os.environ.get(env) or recorded.get(name)
    missing = [n for n, ref in found.items() if not ref]
    if missing:
        pytest.fail(f"the lab recorded no image for {missing} (lab.info('nodes')['images']): "
                    f"bring the lab's nodes up, or name them in EXPOSURE_IMAGE_<NAME>")
    return found


@pytest.fixture(scope="session")
def kube(kubeconfig: str) -> Iterator[Kube]:
    api = config.new_client_from_config(config_file=kubeconfig)
    yield Kube(api)
    api.close()


# What `uninstall` registered, run after the last cluster-side test (pytest_runtest_teardown
# below): the tests after this directory (the site playbook, AWX) start from a cluster without
# the load balancer these tests installed, as a fresh site would.
_AT_THE_END: list[Callable[[], None]] = []


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or nextitem.path.parent != item.path.parent:
        while _AT_THE_END:
            _AT_THE_END.pop()()


@pytest.fixture(scope="session")
def uninstall(kube: Kube) -> None:
    """After the last cluster-side test, remove what the roles installed (not the shared CRDs).
    The order in tests/integration/conftest.py keeps this directory's tests together."""

    def remove() -> None:
        for namespace in (LB_NAMESPACE, "traefik", "ingress-nginx"):
            kube.delete("v1", "Namespace", namespace)
        for kind in ("ClusterRole", "ClusterRoleBinding"):
            for name in ("baremetal-lb-controller", "baremetal-lb-speaker", "traefik-traefik",
                         "ingress-nginx"):
                kube.delete("rbac.authorization.k8s.io/v1", kind, name)
        for name in ("traefik", "nginx"):
            kube.delete("networking.k8s.io/v1", "IngressClass", name)
        for namespace in (LB_NAMESPACE, "traefik", "ingress-nginx"):
            kube.wait_gone("v1", "Namespace", namespace, timeout=180)

    _AT_THE_END.append(remove)


class Installed:
    """The load balancer as the roles installed it for the test session (layer-2 plan)."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.fresh = False
        self.check_results: list[Any] = []
        self.snapshot_unchanged_by_check = True
        self.first: list[Any] = []
        self.second: list[Any] = []
        self.check_after: list[Any] = []


@pytest.fixture(scope="session")
def installed(lab: Any, ansible: Any, kube: Kube, kubeconfig: str, images: dict[str, str],
              uninstall: None) -> Installed:
    """--check on the cluster as found, then the real run of the load balancer and pools stages,
    a second run and a --check on the result. Runs once; the tests read what it recorded."""
    from cluster_side_lab import lab_plan, ok, run_role

    state = Installed(lab_plan(lab, kubeconfig, images))
    state.fresh = kube.get("v1", "Namespace", LB_NAMESPACE) is None
    stages = [("load_balancer", "main"), ("load_balancer", "pools")]
    if state.fresh:
        before = kube.snapshot([LB_NAMESPACE, "default"])
        state.check_results = [ok(run_role(ansible, role, state.plan, entry, check=True))
                               for role, entry in stages]
        state.snapshot_unchanged_by_check = kube.snapshot([LB_NAMESPACE, "default"]) == before
    state.first = [ok(run_role(ansible, role, state.plan, entry)) for role, entry in stages]
    state.second = [ok(run_role(ansible, role, state.plan, entry)) for role, entry in stages]
    state.check_after = [ok(run_role(ansible, role, state.plan, entry, check=True))
                         for role, entry in stages]
    return state
