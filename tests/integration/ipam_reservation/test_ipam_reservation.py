"""ipam_reservation against the lab's real NetBox: ranges, conflicts, check/diff, prune, auth."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynetbox
import pytest
import yaml

from exposure_lab import Lab, LabConfig

HERE = Path(__file__).parent
PLAYBOOK = HERE / "playbooks" / "reserve.yml"
SITE_VARS = HERE.parents[2] / "lab" / "inventory" / "group_vars" / "site_lab.yml"
# A site name of our own, so the tag site-<name> (what cleanup deletes by) is ours alone.
SITE = "itest-ipam"
SITE_TAG = f"site-{SITE}"
SHARED_TAGS = ["baremetal-exposure", "k8s-lb-pool"]
ROLE = "kubernetes-load-balancer"
LAN = ["198.51.100.0/24", "2001:db8:100::/64"]
TASK = "baremetal.exposure.ipam_reservation : Reserve every pool of the site in NetBox"


def build_plan() -> dict[str, Any]:
    """exposure_plan for the lab site (as address_plan would give it), from its group_vars."""
    site = yaml.safe_load(SITE_VARS.read_text())
    pools = []
    for pool in site["exposure_pools"]:
        nets = []
        for spec in pool["addresses"]:
            if "-" in spec:
                first, last = (ipaddress.ip_address(x) for x in spec.split("-"))
                nets += ipaddress.summarize_address_range(first, last)
            else:
                nets.append(ipaddress.ip_network(spec))
        ranges = []
        for version in (4, 6):
            merged = list(ipaddress.collapse_addresses(n for n in nets if n.version == version))
            if not merged:
                continue
            # The lab's pools are contiguous per family: one range each.
            first, last = merged[0][0], merged[-1][-1]
            ranges.append({"first": str(first), "last": str(last), "version": version,
                           "size": int(last) - int(first) + 1})
        pools.append({"name": pool["name"], "announce": pool["announce"], "ranges": ranges,
                      "owner": f"Kubernetes load balancer, site {SITE}, pool {pool['name']}"})
    return {"site": SITE,
            "lan": [{"subnet": lan["subnet"], "gateway": lan["gateway"],
                     "version": ipaddress.ip_network(lan["subnet"]).version}
                    for lan in site["exposure_lan"]],
            "pools": pools}


def run_vars(plan: dict[str, Any] | None = None, hosts: str = "node1", token: str | None = None,
             token_set: bool = True, **ipam: Any) -> dict[str, Any]:
    """The role's variables: the plan with the IPAM settings the preflight would give it (the
    role reads only the plan), and the token as a variable when one is given (else the
    module reads NETBOX_TOKEN, as from an AWX credential)."""
    plan = dict(plan or build_plan())
    plan["ipam"] = {"backend": "netbox", "url": Lab(LabConfig()).info("netbox")["url"],
                    "token_set": token_set, "validate_certs": True, "timeout": 30, "site": SITE,
                    "vrf": None, "tenant": None, "role": ROLE, "tags": ["k8s-lb-pool"],
                    "prune": False, **ipam}
    # One host of the site is enough (the role elects one per site anyway) and much faster.
    extra: dict[str, Any] = {"ipam_hosts": hosts, "exposure_plan": plan}
    if token is not None:
        extra["exposure_ipam"] = {"token": token}
    return extra


@pytest.fixture(scope="module")
def nb(lab: Lab) -> pynetbox.api:
    info = lab.info("netbox")
    api = pynetbox.api(info["url"], token=info["token"])
    api.http_session.headers["Accept"] = "application/json"
    return api


def ours(nb: pynetbox.api) -> list[Any]:
    if not nb.extras.tags.filter(slug=SITE_TAG):
        return []
    return list(nb.ipam.ip_ranges.filter(tag=SITE_TAG))


@pytest.fixture(scope="module")
def netbox_setup(nb: pynetbox.api) -> Iterator[pynetbox.api]:
    """The LAN prefixes (made if missing); afterwards remove all we made, nothing else."""
    made_prefixes = []
    for cidr in LAN:
        if not nb.ipam.prefixes.filter(prefix=cidr, vrf_id="null"):
            made_prefixes.append(nb.ipam.prefixes.create(prefix=cidr, status="active",
                                                         description="ipam_reservation test"))
    tags_before = {t.slug for t in nb.extras.tags.all()}
    role_before = bool(nb.ipam.roles.filter(slug=ROLE))
    yield nb
    for obj in ours(nb):
        obj.delete()
    for tag in nb.extras.tags.filter(slug=SITE_TAG):
        tag.delete()
    for slug in SHARED_TAGS:
        for tag in nb.extras.tags.filter(slug=slug):
            if slug not in tags_before and not nb.ipam.ip_ranges.filter(tag=slug):
                tag.delete()
    for role in nb.ipam.roles.filter(slug=ROLE):
        if not role_before and not nb.ipam.ip_ranges.filter(role=ROLE):
            role.delete()
    for prefix in made_prefixes:
        prefix.delete()


@pytest.fixture
def clean(netbox_setup: pynetbox.api) -> Iterator[pynetbox.api]:
    """Each test starts and ends with none of our ranges."""
    for obj in ours(netbox_setup):
        obj.delete()
    yield netbox_setup
    for obj in ours(netbox_setup):
        obj.delete()


def messages(result: Any) -> str:
    """Every failure message, those of loop items included."""
    found = []
    for play in result.plays:
        for task in play.get("tasks", []):
            for host in task["hosts"].values():
                items = host.get("results", []) if isinstance(host.get("results"), list) else []
                found += [str(r.get("msg")) for r in [host, *items]
                          if r.get("failed") or "exception" in r]
    return " ".join(found)


def actions(result: Any) -> list[str]:
    found = result.task_results(TASK)
    return sorted(a for host in found.values() for item in host.get("results", [])
                  for a in item.get("actions", []))


def test_reserves_pools_check_diff_idempotent(ansible: Any, clean: pynetbox.api) -> None:
    nb = clean
    # The whole site: the role must still talk to NetBox from one host only.
    everyone = run_vars(hosts="site_lab")
    check = ansible.playbook(PLAYBOOK, check=True, diff=True, extra_vars=everyone)
    assert check.rc == 0, check.failure_messages() or check.stdout[-2000:]
    assert check.changed > 0
    assert ours(nb) == [], "check mode wrote to NetBox"
    planned = actions(check)
    assert len(planned) == 4, planned  # ingress, services v4 + v6, routed

    first = ansible.playbook(PLAYBOOK, diff=True, extra_vars=run_vars())
    assert first.rc == 0, first.failure_messages() or first.stdout[-2000:]
    assert actions(first) == planned
    # --diff shows the managed fields of every new range.
    assert "198.51.100.200/24" in first.stdout and '"after"' in first.stdout

    by_start = {str(r.start_address): r for r in ours(nb)}
    assert sorted(by_start) == sorted([
        "198.51.100.200/24", "198.51.100.180/24", "2001:db8:100::1:0/64", "203.0.113.0/32"])
    ingress = by_start["198.51.100.200/24"]
    assert str(ingress.end_address) == "198.51.100.209/24"
    assert ingress.status.value == "reserved" and ingress.mark_populated is True
    assert ingress.role.slug == ROLE
    assert {t.slug for t in ingress.tags} == {*SHARED_TAGS, SITE_TAG}
    assert ingress.description == f"Kubernetes load balancer, site {SITE}, pool ingress"
    assert str(by_start["203.0.113.0/32"].end_address) == "203.0.113.79/32"

    lan = nb.ipam.prefixes.get(prefix=LAN[0], vrf_id="null")
    free = {str(dict(a)["address"]).split("/")[0] for a in lan.available_ips.list(limit=300)}
    for last in list(range(180, 210)):
        assert f"198.51.100.{last}" not in free
    assert "198.51.100.210" in free
    with pytest.raises(pynetbox.RequestError) as error:
        nb.ipam.ip_addresses.create(address="198.51.100.205/24", status="active")
    assert error.value.req.status_code == 400

    second = ansible.playbook(PLAYBOOK, diff=True, extra_vars=run_vars())
    assert second.rc == 0 and second.changed == 0, actions(second)


def test_foreign_address_inside_fails_before_writing(ansible: Any, clean: pynetbox.api) -> None:
    address = clean.ipam.ip_addresses.create(address="198.51.100.185/24", status="active",
                                             dns_name="squatter.example")
    try:
        result = ansible.playbook(PLAYBOOK, extra_vars=run_vars())
        assert result.rc != 0
        text = messages(result)
        assert "198.51.100.185/24" in text and "squatter.example" in text, text
        assert "pool 'services'" in text
        assert ours(clean) == [], "a pool was written although the run had a conflict"
    finally:
        address.delete()


def test_foreign_overlapping_range_fails_naming_it(ansible: Any, clean: pynetbox.api) -> None:
    foreign = clean.ipam.ip_ranges.create(start_address="198.51.100.205/24",
                                          end_address="198.51.100.215/24", status="active",
                                          description="someone else's")
    try:
        result = ansible.playbook(PLAYBOOK, extra_vars=run_vars())
        assert result.rc != 0
        text = messages(result)
        assert "198.51.100.205/24-198.51.100.215/24" in text and "someone else's" in text, text
        assert ours(clean) == [], "a pool was written although the run had a conflict"
    finally:
        foreign.delete()


def test_prune_only_when_asked(ansible: Any, clean: pynetbox.api) -> None:
    assert ansible.playbook(PLAYBOOK, extra_vars=run_vars()).rc == 0
    plan = build_plan()
    plan["pools"] = [p for p in plan["pools"] if p["name"] != "routed"]
    kept = ansible.playbook(PLAYBOOK, extra_vars=run_vars(plan))
    assert kept.rc == 0 and kept.changed == 0
    assert any(str(r.start_address) == "203.0.113.0/32" for r in ours(clean))

    pruned = ansible.playbook(PLAYBOOK, extra_vars={**run_vars(plan),
                                                    "ipam_reservation_prune": True})
    assert pruned.rc == 0 and pruned.changed == 1
    starts = sorted(str(r.start_address) for r in ours(clean))
    assert starts == sorted(["198.51.100.200/24", "198.51.100.180/24", "2001:db8:100::1:0/64"])


def test_bad_token_fails_clearly_without_leaking(ansible: Any, clean: pynetbox.api) -> None:
    token = "nbt_notakey0000.s3cretV4lueThatMustNotLeak"
    result = ansible.playbook(PLAYBOOK, extra_vars=run_vars(token=token), diff=True)
    assert result.rc != 0
    text = messages(result)
    assert "refused the API token" in text and "403" in text, text
    assert "s3cretV4lueThatMustNotLeak" not in result.stdout + result.stderr


def test_missing_token_fails_in_preflight(ansible: Any, clean: pynetbox.api) -> None:
    result = ansible.playbook(PLAYBOOK, extra_vars=run_vars(token_set=False), env={"NETBOX_TOKEN": ""})
    assert result.rc != 0
    text = messages(result)
    assert "exposure_ipam.token" in text and "host node1" in text, text
    assert ours(clean) == []
