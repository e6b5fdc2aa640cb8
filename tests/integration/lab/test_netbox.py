"""NetBox is a real IPAM: the genuine 4.7 application on PostgreSQL, reached with pynetbox."""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from collections.abc import Iterator

import pynetbox
import pytest

from exposure_lab import Lab
from exposure_lab.netbox import NetBox

# A /28 of the LAN no other test uses: prefixes and ranges are created and deleted here.
TEST_PREFIX = "198.51.100.224/28"
TEST_RANGE = ("198.51.100.228/28", "198.51.100.235/28")


def free_addresses(prefix: object) -> set[str]:
    # available-ips answers records or plain dicts depending on the pynetbox version.
    found = prefix.available_ips.list()  # type: ignore[attr-defined]
    return {str(dict(a)["address"]) for a in found}


@pytest.fixture(scope="module")
def nb(lab: Lab) -> pynetbox.api:
    info = lab.info("netbox")
    api = pynetbox.api(info["url"], token=info["token"])
    api.http_session.headers["Accept"] = "application/json"
    return api


@pytest.fixture
def prefix(nb: pynetbox.api) -> Iterator[object]:
    for stale in nb.ipam.prefixes.filter(prefix=TEST_PREFIX):
        stale.delete()
    created = nb.ipam.prefixes.create(prefix=TEST_PREFIX, status="active",
                                      description="exposure-lab test")
    yield created
    for leftover in nb.ipam.prefixes.filter(prefix=TEST_PREFIX):
        leftover.delete()


def test_status_reports_netbox_4_7(lab: Lab) -> None:
    info = lab.info("netbox")
    request = urllib.request.Request(f"{info['url']}/api/status/",
                                     headers={"Authorization": info["auth_header"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        status = json.loads(response.read())
    assert status["netbox-version"].startswith("4.7."), status
    assert info["version"] == status["netbox-version"]
    assert NetBox().status(lab)["up"]


def test_token_is_required(lab: Lab) -> None:
    anonymous = pynetbox.api(lab.info("netbox")["url"])
    with pytest.raises(pynetbox.RequestError) as error:
        anonymous.ipam.prefixes.count()
    assert error.value.req.status_code == 403


def test_prefix_create_read_delete(nb: pynetbox.api) -> None:
    for stale in nb.ipam.prefixes.filter(prefix=TEST_PREFIX):
        stale.delete()
    created = nb.ipam.prefixes.create(prefix=TEST_PREFIX, status="active",
                                      description="exposure-lab test")
    try:
        read = nb.ipam.prefixes.get(created.id)
        assert str(read.prefix) == TEST_PREFIX
        assert read.status.value == "active"
        assert read.description == "exposure-lab test"
        found = nb.ipam.prefixes.filter(within_include="198.51.100.0/24")
        assert created.id in [p.id for p in found]
    finally:
        created.delete()
    assert nb.ipam.prefixes.get(created.id) is None


def test_populated_range_is_excluded_from_available_ips(nb: pynetbox.api, prefix: object) -> None:
    free_before = free_addresses(prefix)
    network = ipaddress.ip_network(TEST_PREFIX)
    assert free_before == {f"{host}/{network.prefixlen}" for host in network.hosts()}

    ip_range = nb.ipam.ip_ranges.create(start_address=TEST_RANGE[0], end_address=TEST_RANGE[1],
                                        status="reserved", mark_populated=True,
                                        description="exposure-lab test")
    try:
        assert ip_range.size == 8
        free = free_addresses(prefix)
        in_range = {f"198.51.100.{last}/28" for last in range(228, 236)}
        assert free == free_before - in_range
        # NetBox itself refuses an address inside a populated range: real validation, not a mock.
        with pytest.raises(pynetbox.RequestError) as error:
            nb.ipam.ip_addresses.create(address="198.51.100.230/28", status="active")
        assert error.value.req.status_code == 400
        # And an overlapping range in the same VRF.
        with pytest.raises(pynetbox.RequestError) as error:
            nb.ipam.ip_ranges.create(start_address="198.51.100.233/28",
                                     end_address="198.51.100.237/28")
        assert error.value.req.status_code == 400
    finally:
        ip_range.delete()
    free_after = free_addresses(prefix)
    assert free_after == free_before
