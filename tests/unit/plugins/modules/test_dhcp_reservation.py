# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.dnsmasq import DnsmasqBackend
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.kea import KeaBackend
from ansible_collections.baremetal.exposure.plugins.modules import dhcp_reservation


class FakeModule:
    def __init__(self, **params):
        self.params = dict(backend="kea", exclude=[], ignore_existing_leases=False, backup_dir=None,
                           kea_url=None, kea_username=None, kea_password=None,
                           kea_validate_certs=True, kea_timeout=10, service="dhcp4",
                           config_file=None, ranges_file=None, main_config=None, leases_file=None)
        self.params.update(params)

    def get_bin_path(self, name, required=False):
        return "/usr/sbin/" + name


@pytest.mark.parametrize("params,message", [
    ({"backend": "kea"}, "kea_url (or the environment variable KEA_API_URL) is not set"),
    ({"backend": "kea", "kea_url": "http://kea:8000/", "kea_username": "admin"},
     "kea_password (or the environment variable KEA_API_PASSWORD) is not set"),
    ({"backend": "dnsmasq"}, "backend=dnsmasq needs ranges_file"),
    ({"backend": "kea", "kea_url": "http://kea:8000/", "backup_dir": "/nonexistent/dir"},
     "backup_dir = '/nonexistent/dir' is not a directory"),
])
def test_missing_settings_are_named(params, message):
    with pytest.raises(ExposureError) as exc:
        dhcp_reservation.make_backend(FakeModule(**params))
    assert message in str(exc.value)


def test_backends_are_built_from_the_options(tmp_path):
    kea = dhcp_reservation.make_backend(FakeModule(kea_url="http://kea:8000/", kea_username="admin",
                                                   kea_password="x", service="dhcp6"))
    assert isinstance(kea, KeaBackend) and kea.client.service == "dhcp6"
    assert kea.family["subnets"] == "subnet6"
    dnsmasq = dhcp_reservation.make_backend(FakeModule(backend="dnsmasq", ranges_file="/etc/lan.conf",
                                                       backup_dir=str(tmp_path)))
    assert isinstance(dnsmasq, DnsmasqBackend) and dnsmasq.binary == "/usr/sbin/dnsmasq"
