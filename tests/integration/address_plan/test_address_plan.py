"""The address_plan preflight against the lab inventory.

The lab site must pass and give every host of site_lab the same exposure_plan; every bad site
of the unit catalogue (tests/unit/plugins/module_utils/_site/test_site_model.yml), written as an
inventory (its secrets as the site's variables, its environment as the controller's), must make
playbooks/site.yml fail in its preflight play with the expected message, never show a secret,
and leave NetBox, Kea, dnsmasq and the router's running FRR configuration as they were.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from exposure_lab import Lab
from exposure_lab.dhcp import kea_command
from exposure_lab.frr import RouterFrr

from ansible_runner import REPO, AnsibleRunner

HERE = Path(__file__).resolve().parent
LAB_INVENTORY = REPO / "lab" / "inventory"
CASES = yaml.safe_load((REPO / "tests/unit/plugins/module_utils/_site/test_site_model.yml").read_text())
BAD = [case for case in CASES["bad"] if case.get("inventory", True)]
DNSMASQ_DIR = Path("/run/exposure-lab/dnsmasq")
ROLE = "baremetal.exposure.address_plan : "
SITE_HOSTS = ["node1", "node2", "node3", "router1", "kea1", "dnsmasq1", "client1"]


def site_vars(case: dict[str, Any]) -> dict[str, Any]:
    """The lab site's group_vars with the case's changes (as in the unit test's apply_case),
    its secrets written where a user writes them (exposure_bgp.password...)."""
    site = copy.deepcopy(CASES["base"]["vars"])
    site.update(copy.deepcopy(case.get("set", {})))
    for key in case.get("unset", []):
        site.pop(key, None)
    if "add_pool" in case:
        site["exposure_pools"].append(copy.deepcopy(case["add_pool"]))
    for path, value in case.get("secrets", {}).items():
        node = site
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return site


def case_env(case: dict[str, Any]) -> dict[str, str]:
    """The controller's environment for a case: an unset variable (null) becomes empty."""
    return {name: value or "" for name, value in case.get("environ", {}).items()}


def write_inventory(root: Path, case: dict[str, Any]) -> Path:
    """A copy of the lab inventory whose site_lab group_vars are the case's site."""
    inventory = root / "inventory"
    shutil.copytree(LAB_INVENTORY, inventory)
    (inventory / "group_vars" / "site_lab.yml").write_text(yaml.safe_dump(site_vars(case)))
    if case.get("host_vars"):
        (inventory / "host_vars").mkdir(exist_ok=True)
        for host, values in case["host_vars"].items():
            path = inventory / "host_vars" / f"{host}.yml"
            merged = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
            path.write_text(yaml.safe_dump({**merged, **values}))
    if "other_site" in case:
        other = case["other_site"]
        hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
        group = f"site_{other['name']}"
        hosts["all"]["children"][group] = {"children": {f"{group}_nodes": {
            "hosts": {f"{other['name']}-node1": {"ansible_host": "192.0.2.11"}}}}}
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
        (inventory / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump({
            "exposure_site": other["name"],
            "exposure_lan": [{"subnet": "192.0.2.0/24", "gateway": "192.0.2.1"}],
            "exposure_pools": other["pools"],
        }))
    return inventory


def cluster_state(lab: Lab) -> dict[str, str]:
    """Every object of the kinds the cluster-side stages write, by kind/namespace/name, with its
    resourceVersion (any write changes it)."""
    from kubernetes import client, config, dynamic

    api = config.new_client_from_config(config_file=lab.info("kube")["kubeconfig"])
    try:
        found: dict[str, str] = {}
        dyn = dynamic.DynamicClient(api)
        kinds = [("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
                 ("v1", "ServiceAccount"), ("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"),
                 ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                 ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                 ("apiextensions.k8s.io/v1", "CustomResourceDefinition")]
        for version, kind in kinds:
            for obj in dyn.resources.get(api_version=version, kind=kind).get().items:
                meta = obj.metadata
                found[f"{kind}/{meta.namespace or ''}/{meta.name}"] = meta.resourceVersion
        for crd in client.ApiextensionsV1Api(api).list_custom_resource_definition().items:
            if crd.spec.group != "metallb.io":
                continue
            served = next(v.name for v in crd.spec.versions if v.storage)
            for obj in client.CustomObjectsApi(api).list_cluster_custom_object(
                    "metallb.io", served, crd.spec.names.plural)["items"]:
                meta = obj["metadata"]
                found[f"{crd.spec.names.kind}/{meta.get('namespace', '')}/{meta['name']}"] = \
                    meta["resourceVersion"]
        return found
    finally:
        api.close()


def lab_state(lab: Lab) -> dict[str, Any]:
    """What a run must never change: NetBox's ranges, Kea's running config, dnsmasq's files,
    the router's running FRR configuration and the cluster's objects."""
    state: dict[str, Any] = {"frr": RouterFrr().instance(lab).vtysh("show running-config")}
    if lab.info("kube"):
        state["cluster"] = cluster_state(lab)
    answer = kea_command(lab, "config-get")
    assert answer["result"] == 0, answer
    state["kea"] = json.dumps(answer["arguments"], sort_keys=True)
    # Every file but the leases, which change whenever any lab client renews.
    state["dnsmasq"] = {str(path): hashlib.sha256(path.read_bytes()).hexdigest()
                        for path in sorted(DNSMASQ_DIR.rglob("*"))
                        if path.is_file() and path.suffix != ".leases"}
    netbox = lab.info("netbox")
    if netbox:
        request = urllib.request.Request(
            f"{netbox['url']}/api/ipam/ip-ranges/?limit=1000",
            headers={"Authorization": netbox["auth_header"], "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=20) as response:
            state["netbox"] = response.read()
    return state


def test_lab_site_plan(ansible: AnsibleRunner, tmp_path: Path) -> None:
    extra = {"address_plan_report_dir": str(tmp_path)}
    result = ansible.playbook(HERE / "playbooks" / "plan.yml", extra_vars=extra)
    assert result.rc == 0, result.stdout[-3000:] + result.stderr
    plans = {host: res["exposure_plan"] for host, res in result.task_results("Show exposure_plan").items()}
    assert sorted(plans) == sorted(SITE_HOSTS)
    plan = plans["node1"]
    assert all(other == plan for other in plans.values()), "every host of the site gets the same plan"
    assert plan["site"] == "lab" and plan["group"] == "site_lab" and plan["nodes_group"] == "site_lab_nodes"
    assert [n["name"] for n in plan["nodes"]] == ["node1", "node2", "node3"]
    assert plan["nodes"][0]["addresses"] == ["198.51.100.11"]
    pools = {pool["name"]: pool for pool in plan["pools"]}
    assert pools["ingress"]["cidrs"] == ["198.51.100.200/29", "198.51.100.208/31"]
    assert pools["routed"]["ranges"] == [{
        "first": "203.0.113.0", "last": "203.0.113.79", "size": 80, "version": 4,
        "cidrs": ["203.0.113.0/26", "203.0.113.64/28"]}]
    assert plan["dhcp"]["backend"] == "kea" and plan["dhcp"]["dynamic_ranges"] == [{
        "first": "198.51.100.100", "last": "198.51.100.179", "size": 80, "version": 4,
        "cidrs": ["198.51.100.100/30", "198.51.100.104/29", "198.51.100.112/28",
                  "198.51.100.128/27", "198.51.100.160/28", "198.51.100.176/30"]}]
    # Every stage's settings, the connection settings resolved from the lab's environment (as
    # an AWX credential gives them), the secrets only as flags.
    lab_env = ansible.env()
    assert plan["dhcp"]["kea"]["url"] == lab_env["KEA_API_URL"]
    assert plan["dhcp"]["kea"]["password_set"] is True
    assert plan["ipam"]["url"] == lab_env["NETBOX_API"] and plan["ipam"]["token_set"] is True
    assert plan["bgp"]["router_asn"] == 64512 and plan["bgp"]["routers"] == [
        {"name": "router1", "addresses": ["198.51.100.1"], "router_id": "198.51.100.1"}]
    assert plan["ingress"]["pool"] == "ingress" and plan["verify"]["client_host"] == "client1"
    text = json.dumps(plan)
    for secret in (lab_env["KEA_API_PASSWORD"], lab_env["NETBOX_TOKEN"]):
        assert secret not in text and secret not in result.stdout + result.stderr
    report = (tmp_path / "lab.md").read_text()
    assert report == plan["report_markdown"]
    assert "| 198.51.100.200-198.51.100.209 | 10 | ingress | layer2 | ingress |" in report
    assert result.task_results(ROLE + "Check the address plan of every site")["localhost"]["changed"] is True
    groups = result.task_results("Show the stage groups")["localhost"]["msg"]
    assert groups == {"first_nodes": ["node1"], "dhcp": ["kea1"], "routers": ["router1"]}

    again = ansible.playbook(HERE / "playbooks" / "plan.yml", extra_vars=extra)
    assert again.rc == 0 and again.changed == 0, again.stats


@pytest.mark.parametrize("case", BAD, ids=[case["id"] for case in BAD])
def test_bad_site_stops_site_yml_in_preflight(ansible: AnsibleRunner, lab: Lab,
                                              tmp_path: Path, case: dict[str, Any]) -> None:
    inventory = write_inventory(tmp_path, case)
    # The state is taken around each run: other engineers' tests change the shared lab's Kea
    # and NetBox while these run, so a difference is retried; a change made by this run would
    # show up on every attempt.
    changed: list[str] = []
    for _attempt in range(5):
        state_before = lab_state(lab)
        result = ansible.playbook(REPO / "playbooks" / "site.yml", inventory=inventory,
                                  env=case_env(case))
        state_after = lab_state(lab)
        changed = [part for part in state_before if state_after.get(part) != state_before[part]]
        if not changed:
            break
    else:
        pytest.fail(f"{', '.join(changed)} changed during each of 5 failed preflights "
                    "(another test changing the shared lab at the same time, or this run)")
    assert result.rc != 0, result.stdout[-3000:]
    assert len(result.plays) == 1, [play["play"]["name"] for play in result.plays]
    assert result.plays[0]["play"]["name"].startswith("Preflight"), result.plays[0]["play"]
    failed = [task["task"]["name"] for task in result.plays[0]["tasks"]
              if any(res.get("failed") for res in task["hosts"].values())]
    assert failed == [ROLE + "Fail with every error of every site, before anything else runs"], \
        failed
    messages = "\n".join(result.failure_messages())
    assert case["error"] in messages, messages
    assert all(line.startswith("site ") for line in messages.splitlines()), messages
    for secret in case.get("secrets", {}).values():
        assert secret not in result.stdout + result.stderr, "a secret reached the output"


def test_catalogue_size() -> None:
    assert len(BAD) >= 100
