# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's flows (present, absent, pruned) over an in-memory NetBox at the client boundary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import netbox as nb
from ansible_collections.baremetal.exposure.plugins.modules import netbox_ip_range

SPEC = {"site": "lab", "pool": "ingress", "vrf": None, "tenant": None, "status": "reserved",
        "role": "kubernetes-load-balancer", "description": "owner", "tags": ["k8s-lb-pool"]}
INGRESS = [{"first": "198.51.100.200", "last": "198.51.100.209"}]
LAN = ["198.51.100.0/24"]


class FakeNetBox:
    """Objects per endpoint; filters by slug/name/rd/tag like NetBox, the rest is local."""

    def __init__(self):
        self.data = {}
        self.writes = []
        self.next_id = 100

    def list(self, path, **query):
        found = self.data.get(path, [])
        if "slug" in query:
            found = [o for o in found if o.get("slug") == query["slug"]]
        if "name" in query:
            found = [o for o in found if o.get("name") == query["name"]]
        if "rd" in query:
            found = [o for o in found if o.get("rd") == query["rd"]]
        for tag in query.get("tag", []):
            found = [o for o in found if tag in [t["slug"] for t in o.get("tags", [])]]
        return copy.deepcopy(found)

    def create(self, path, body):
        self.writes.append(("POST", path, body))
        obj = dict(body, id=self.next_id)
        self.next_id += 1
        if path == nb.RANGES:
            obj = self._range(obj, body)
        self.data.setdefault(path, []).append(obj)
        return obj

    def update(self, path, object_id, body):
        self.writes.append(("PATCH", path, object_id, body))
        for obj in self.data[path]:
            if obj["id"] == object_id:
                obj.update(self._range(dict(obj, **body), body))

    def delete(self, path, object_id):
        self.writes.append(("DELETE", path, object_id))
        self.data[path] = [o for o in self.data[path] if o["id"] != object_id]

    def _range(self, obj, body):
        """Nested objects as NetBox returns them."""
        if "status" in body:
            obj["status"] = {"value": body["status"]}
        if "role" in body:
            obj["role"] = next((dict(r) for r in self.data.get("ipam/roles/", [])
                                if r["id"] == body["role"]), None)
        if "tags" in body:
            obj["tags"] = [{"slug": t["slug"]} for t in body["tags"]]
        return obj


def test_create_check_mode_then_apply_then_idempotent():
    fake = FakeNetBox()
    check = nb.run_present(fake, SPEC, INGRESS, LAN, check_mode=True)
    assert check["changed"] is True and fake.writes == []
    assert check["actions"] == ["create 198.51.100.200/24-198.51.100.209/24 (VRF global)"]
    assert "ipam/roles kubernetes-load-balancer" in check["created_objects"]

    first = nb.run_present(fake, SPEC, INGRESS, LAN)
    assert first["actions"] == check["actions"] and first["diff"] == check["diff"]
    created = fake.data[nb.RANGES][0]
    assert created["mark_populated"] is True and created["status"] == {"value": "reserved"}
    assert first["diff"]["before"] == {"ranges": []}

    writes = len(fake.writes)
    second = nb.run_present(fake, SPEC, INGRESS, LAN)
    assert second["changed"] is False and second["actions"] == []
    assert len(fake.writes) == writes


def test_conflict_writes_nothing_and_names_the_address():
    fake = FakeNetBox()
    fake.data["ipam/ip-addresses/"] = [{"id": 3, "address": "198.51.100.201/24",
                                        "status": {"value": "active"}}]
    with pytest.raises(nb.NetBoxReservationError, match=r"198\.51\.100\.201/24 \(id 3"):
        nb.run_present(fake, SPEC, INGRESS, LAN)
    assert fake.writes == []


def test_resize_updates_in_place_and_absent_deletes():
    fake = FakeNetBox()
    nb.run_present(fake, SPEC, INGRESS, LAN)
    bigger = [{"first": "198.51.100.200", "last": "198.51.100.215"}]
    result = nb.run_present(fake, SPEC, bigger, LAN)
    assert result["changed"] is True
    assert result["actions"] == ["update 198.51.100.200/24-198.51.100.215/24 (VRF global) "
                                 "(id 104): end_address"]
    assert len(fake.data[nb.RANGES]) == 1
    gone = nb.run_absent(fake, "lab", "ingress")
    assert gone["changed"] is True and fake.data[nb.RANGES] == []
    assert nb.run_absent(fake, "lab", "ingress")["changed"] is False


def test_prune_removes_only_pools_not_kept():
    fake = FakeNetBox()
    nb.run_present(fake, SPEC, INGRESS, LAN)
    nb.run_present(fake, dict(SPEC, pool="routed"), ["203.0.113.0/26"], LAN)
    # A hand-made range with our tags but no marker is never touched.
    fake.data[nb.RANGES].append({"id": 1, "start_address": "203.0.113.100/32",
                                 "end_address": "203.0.113.101/32", "comments": "",
                                 "tags": [{"slug": "baremetal-exposure"}, {"slug": "site-lab"}]})
    check = nb.run_prune(fake, "lab", ["ingress"], check_mode=True)
    assert check["changed"] is True and len(fake.data[nb.RANGES]) == 3
    result = nb.run_prune(fake, "lab", ["ingress"])
    assert [a.split(" (")[0] for a in result["actions"]] == ["delete 203.0.113.0/32-203.0.113.63/32"]
    assert sorted(o["id"] for o in fake.data[nb.RANGES]) == [1, 104]
    assert nb.run_prune(fake, "lab", ["ingress"])["changed"] is False


def test_module_fails_clearly_without_url(monkeypatch, capsys):
    monkeypatch.delenv("NETBOX_API", raising=False)
    args = {"ANSIBLE_MODULE_ARGS": {"site": "lab", "pool": "ingress", "ranges": INGRESS,
                                    "netbox_token": "nbt_x.y"}}
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps(args)))
    # ansible-core 2.19+ also needs the serialization profile of the arguments.
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        netbox_ip_range.main()
    out = json.loads(capsys.readouterr()[0])
    assert out["failed"] is True and "NETBOX_API" in out["msg"]
