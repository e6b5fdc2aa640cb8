"""playbooks/site.yml's cluster-side stages (tags kube_proxy, load_balancer, pools, ingress)
against the lab inventory, as an operator runs them: the preflight builds the plan from
lab/inventory (its cluster-side variables: docs/cluster-side.md); only the locally built
images are given here, as extra variables, the way a site names its mirror.

--check on the cluster as found changes nothing and announces exactly the tasks the real run
changes; a second run changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_runner import REPO
from cluster_side_lab import INGRESS_VIP, LB_NAMESPACE, Kube, changed_tasks

# Outside `make test` (CI time): the cluster-side stages through site.yml; site/test_site_playbook
# runs the whole site.yml the same way (check, real, second run).
pytestmark = pytest.mark.long

SITE = REPO / "playbooks" / "site.yml"
TAGS = "kube_proxy,load_balancer,pools,ingress"


def run(ansible: Any, images: dict[str, str], tmp_path: Path, check: bool = False) -> Any:
    extra = {
        "address_plan_report_dir": str(tmp_path),
        "exposure_load_balancer": {"image": images["baremetal-lb"], "frr_image": images["frr"],
                                   "image_pull_policy": "IfNotPresent"},
        "exposure_ingress": {"controller": "traefik", "api": "gateway", "vip": INGRESS_VIP,
                             "image": images["traefik"], "image_pull_policy": "IfNotPresent"},
    }
    result = ansible.playbook(SITE, "--tags", TAGS, check=check, diff=True, extra_vars=extra)
    assert result.rc == 0, "\n".join(result.failure_messages()) or result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def runs(ansible: Any, kube: Kube, images: dict[str, str], uninstall: None,
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kube.wait_no_namespace_terminating()
    fresh = kube.get("v1", "Namespace", LB_NAMESPACE) is None
    # One report directory for every run, as an operator's: the second run finds its report.
    reports = tmp_path_factory.mktemp("reports")
    before = kube.snapshot([LB_NAMESPACE, "traefik", "kube-system"])
    check = run(ansible, images, reports, check=True)
    after = kube.snapshot([LB_NAMESPACE, "traefik", "kube-system"])
    changed = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    first = run(ansible, images, reports)
    second = run(ansible, images, reports)
    return {"fresh": fresh, "check": check, "changed_by_check": changed, "first": first,
            "second": second}


def test_check_mode_changes_nothing(runs: Any) -> None:
    assert runs["changed_by_check"] == [], "--check changed the cluster"


def test_the_real_run_changes_what_check_mode_announced(runs: Any) -> None:
    assert changed_tasks(runs["first"]) == changed_tasks(runs["check"])


def test_a_second_run_changes_nothing(runs: Any) -> None:
    assert runs["second"].changed == 0, changed_tasks(runs["second"])


def test_the_ingress_holds_the_vip(runs: Any, kube: Kube) -> None:
    assert kube.service_ips("traefik", "traefik") == [INGRESS_VIP]
