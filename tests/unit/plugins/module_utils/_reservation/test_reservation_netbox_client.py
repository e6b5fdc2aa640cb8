# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
from urllib.error import HTTPError, URLError

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import netbox_client as nbc

with open(os.path.join(os.path.dirname(__file__), "test_reservation_netbox_client.yml")) as _f:
    CASES = yaml.safe_load(_f)

TOKEN = "nbt_key.s3cretvalue"


def _ids(cases):
    return [str(case["id"]) for case in cases]


class FakeResponse:
    def __init__(self, data):
        self._data = data

    def read(self):
        return json.dumps(self._data).encode() if self._data is not None else b""


@pytest.mark.parametrize("case", CASES["auth_header"], ids=_ids(CASES["auth_header"]))
def test_auth_header(case):
    assert nbc.auth_header(case["token"]) == case["header"]


@pytest.mark.parametrize("case", CASES["token_kind"], ids=_ids(CASES["token_kind"]))
def test_token_kind(case):
    assert nbc.token_kind(case["token"]) == case["kind"]


def test_missing_token_and_url():
    with pytest.raises(nbc.NetBoxError, match="NETBOX_TOKEN"):
        nbc.auth_header("  ")
    with pytest.raises(nbc.NetBoxError, match="NETBOX_API"):
        nbc.NetBoxClient("", TOKEN)


@pytest.mark.parametrize("case", CASES["errors"], ids=_ids(CASES["errors"]))
def test_http_errors_name_url_and_never_the_token(case):
    def opener(url, **kwargs):
        raise HTTPError(url, case["code"], "x", {}, io.BytesIO(case["body"].encode()))

    client = nbc.NetBoxClient("https://nb.example/api/", TOKEN, opener=opener)
    with pytest.raises(nbc.NetBoxError) as error:
        client.list("ipam/ip-ranges/")
    text = str(error.value)
    assert "https://nb.example" in text
    for part in case["expect"]:
        assert part in text
    assert "s3cretvalue" not in text


def test_unreachable_names_the_url():
    def opener(url, **kwargs):
        raise URLError("Connection refused")

    client = nbc.NetBoxClient("http://127.0.0.1:9", TOKEN, opener=opener)
    with pytest.raises(nbc.NetBoxError, match=r"http://127\.0\.0\.1:9 is unreachable .*Connection refused"):
        client.list("status/")


def test_pagination_headers_and_bodies():
    calls = []
    pages = {
        "https://nb/api/ipam/ip-ranges/?limit=1000&tag=a&tag=b": {
            "results": [{"id": 1}], "next": "https://nb/api/ipam/ip-ranges/?limit=1000&offset=1000"},
        "https://nb/api/ipam/ip-ranges/?limit=1000&offset=1000": {"results": [{"id": 2}], "next": None},
    }

    def opener(url, data=None, headers=None, method=None, **kwargs):
        calls.append((method, url, data, headers["Authorization"]))
        if method == "GET":
            return FakeResponse(pages[url])
        return FakeResponse(None if method == "DELETE" else {"id": 9})

    client = nbc.NetBoxClient("https://nb", TOKEN, opener=opener)
    assert [o["id"] for o in client.list("ipam/ip-ranges/", tag=["a", "b"])] == [1, 2]
    assert client.create("ipam/ip-ranges/", {"status": "reserved"}) == {"id": 9}
    client.update("ipam/ip-ranges/", 9, {"description": "d"})
    client.delete("ipam/ip-ranges/", 9)
    assert [(c[0], c[1]) for c in calls[2:]] == [
        ("POST", "https://nb/api/ipam/ip-ranges/"),
        ("PATCH", "https://nb/api/ipam/ip-ranges/9/"),
        ("DELETE", "https://nb/api/ipam/ip-ranges/9/"),
    ]
    assert json.loads(calls[3][2]) == {"description": "d"}
    assert all(c[3] == "Bearer " + TOKEN for c in calls)


def test_a_token_with_a_line_break_never_reaches_a_header_or_a_message():
    with pytest.raises(nbc.NetBoxError) as exc:
        nbc.auth_header("nbt_key.secret\r\nX-Injected: yes")
    assert "contains a carriage return" in str(exc.value)
    assert "secret" not in str(exc.value).replace("(the token is not shown)", "")
