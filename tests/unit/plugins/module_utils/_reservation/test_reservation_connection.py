# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.doc_fragments._connection import ModuleDocFragment
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import connection
from ansible_collections.baremetal.exposure.plugins.module_utils._text import TextError

MODULES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "plugins", "modules")


def _options_of(module):
    """The top-level option names of a module's DOCUMENTATION (fragments included)."""
    with open(os.path.join(MODULES, module + ".py")) as handle:
        tree = ast.parse(handle.read())
    doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
               and node.targets[0].id == "DOCUMENTATION")
    doc = yaml.safe_load(doc)
    options = set(doc["options"])
    for fragment in doc.get("extends_documentation_fragment", []):
        if fragment.startswith("baremetal.exposure._connection."):
            part = getattr(ModuleDocFragment, fragment.rsplit(".", 1)[1].upper())
            options |= set(yaml.safe_load(part)["options"])
    return options


def test_the_action_group_never_sends_one_backend_s_connection_to_another():
    """module_defaults for group/baremetal.exposure.exposure sets an option on every module of
    the group that has it: no connection option may be shared by the two backends."""
    kea, netbox = _options_of("dhcp_reservation"), _options_of("netbox_ip_range")
    assert kea & netbox == set()
    assert set(connection.kea_argument_spec()) <= kea
    assert set(connection.netbox_argument_spec()) <= netbox


def test_environment_fallbacks_are_declared_once():
    spec = dict(connection.kea_argument_spec(), **connection.netbox_argument_spec())
    fallbacks = dict((name, option["fallback"][1][0]) for name, option in spec.items()
                     if "fallback" in option)
    assert fallbacks == {"kea_url": "KEA_API_URL", "kea_username": "KEA_API_USER",
                         "kea_password": "KEA_API_PASSWORD", "netbox_url": "NETBOX_API",
                         "netbox_token": "NETBOX_TOKEN"}
    assert [name for name, option in spec.items() if option.get("no_log")] == \
        ["kea_password", "netbox_token"]


def test_the_doc_fragment_documents_exactly_the_argument_spec():
    for part, spec in ((ModuleDocFragment.KEA, connection.kea_argument_spec()),
                       (ModuleDocFragment.NETBOX, connection.netbox_argument_spec())):
        documented = yaml.safe_load(part)["options"]
        assert sorted(documented) == sorted(spec)
        for name, option in spec.items():
            assert documented[name]["type"] == option["type"]
            assert documented[name].get("default") == option.get("default")


@pytest.mark.parametrize("params,names,error", [
    ({"kea_url": "http://kea:8000/", "kea_username": "ad:min", "kea_password": "x"}, {},
     "kea_username (or the environment variable KEA_API_USER) = 'ad:min' must not contain ':'"),
    ({"kea_url": "ftp://kea/"}, {"kea_url": "exposure_dhcp.kea.url"},
     "exposure_dhcp.kea.url (or the environment variable KEA_API_URL) = 'ftp://kea/' must be an http"),
    ({"kea_url": "http://kea:8000/", "kea_timeout": 0}, {}, "kea_timeout = 0 must be from 1 to 3600"),
])
def test_kea_checks_name_the_option(params, names, error):
    with pytest.raises(TextError) as exc:
        connection.check_kea(params, names)
    assert error in str(exc.value)


def test_a_token_with_a_line_break_is_refused_without_showing_it():
    with pytest.raises(TextError) as exc:
        connection.check_netbox({"netbox_url": "https://nb/", "netbox_token": "nbt_a.b\r\nX-Evil: 1"})
    assert "netbox_token (or the environment variable NETBOX_TOKEN) contains a carriage return" \
        in str(exc.value)
    assert "nbt_a" not in str(exc.value) and "Evil" not in str(exc.value)
