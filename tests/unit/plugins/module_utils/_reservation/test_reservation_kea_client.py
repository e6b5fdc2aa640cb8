# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import base
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea_client import KeaClient

URL = "http://kea.test:8000/"


def _raising(exc):
    def transport(*args, **kwargs):
        raise exc
    return transport


@pytest.mark.parametrize("exc,message", [
    (URLError("[Errno 111] Connection refused"), "cannot reach the Kea control agent at " + URL),
    (HTTPError(URL, 401, "Unauthorized", {}, None), "refused the credentials (HTTP 401) for user 'admin'"),
])
def test_transport_errors_name_the_url(exc, message):
    client = KeaClient(URL, "admin", "wrong", transport=_raising(exc))
    with pytest.raises(base.ReservationError) as err:
        client.command("config-get")
    assert message in str(err.value)


def test_basic_auth_header():
    seen = {}

    def transport(url, data=None, headers=None, **kwargs):
        seen.update(headers)
        return io.BytesIO(b'[{"result": 0}]')
    KeaClient(URL, "admin", "secret", transport=transport).command("version-get")
    assert seen["Authorization"] == "Basic YWRtaW46c2VjcmV0"
