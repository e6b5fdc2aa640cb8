# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hostile-input catalogue (test_hostile_inputs.yml): every string option of every module
that writes configuration or talks to a system, set to newlines, '#', '!', quotes, very long
and non-ASCII values, through the module's real entry point (argument spec included). A value
is refused with a message naming the option, or taken without changing the shape of what is
rendered; a secret never appears in the output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib
import json
import os
from urllib.error import URLError

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import (
    kea_client,
    netbox_client,
)

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "test_hostile_inputs.yml")) as _f:
    CATALOGUE = yaml.safe_load(_f)
with open(os.path.join(HERE, "module_utils", "_site", "test_site_model.yml")) as _f:
    SITE_MODEL = yaml.safe_load(_f)["base"]
VALUES = dict(CATALOGUE["values"], long="x" * 5000)


def _site_model_args():
    base = copy.deepcopy(SITE_MODEL)
    site = base["vars"]
    site.update(nodes=base["nodes"], routers=base["routers"], group="site_lab",
                nodes_group="site_lab_nodes")
    return {"site": site, "secrets": {}, "inventory_hosts": base["inventory_hosts"]}


def _cases():
    cases = []
    for key, spec in CATALOGUE["modules"].items():
        for option in spec["options"]:
            kinds = set(option.get("accept", [])) | set(option.get("errors", {}))
            assert kinds <= set(VALUES), option
            for kind in VALUES:
                expected = None if kind in option.get("accept", []) else \
                    option.get("errors", {}).get(kind, option.get("refuse"))
                assert kind in option.get("accept", []) or expected, (key, option["option"], kind)
                cases.append(pytest.param(key, spec, option, kind, expected,
                                          id="%s-%s-%s" % (key, option["name"], kind)))
    return cases


def _substitute(template, value):
    if isinstance(template, dict):
        return dict((k, _substitute(v, value)) for k, v in template.items())
    if isinstance(template, list):
        return [_substitute(v, value) for v in template]
    return template % value if isinstance(template, str) and "%s" in template else template


def _set(args, path, value):
    head, dummy, rest = path.partition(".")
    if head == "secrets":  # secrets are keyed by their whole variable path
        args["secrets"][rest] = value
        return
    parts = path.split(".")
    node = args
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


def _args(spec, option, value):
    args = _site_model_args() if spec["args"] == "site_model_base" else copy.deepcopy(spec["args"])
    value = option.get("around", "%s") % value
    if "value_as" in option:
        value = _substitute(option["value_as"], value)
    elif option.get("value_as_list"):
        value = [value]
    _set(args, option["option"], value)
    return args


def _run(monkeypatch, capsys, module_name, args):
    def refused(*args, **kwargs):
        raise URLError("[Errno 111] Connection refused (unit test)")
    monkeypatch.setattr(kea_client, "open_url", refused)
    monkeypatch.setattr(netbox_client, "open_url", refused)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/sbin/" + name)
    for name, value in SITE_MODEL["environ"].items():
        monkeypatch.setenv(name, value)
    module = importlib.import_module("ansible_collections.baremetal.exposure.plugins.modules." + module_name)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out


def _forms(value):
    return [value, json.dumps(value)[1:-1]]


@pytest.mark.parametrize("key,spec,option,kind,expected", _cases())
def test_hostile_value(monkeypatch, capsys, key, spec, option, kind, expected):
    module_name = spec.get("module", key)
    value = option.get("around", "%s") % VALUES[kind]
    result, out = _run(monkeypatch, capsys, module_name, _args(spec, option, VALUES[kind]))
    message = result.get("msg", "")
    if expected is None:
        if "accepted" in spec:
            assert result.get("failed") and spec["accepted"] in message, message
        else:
            assert not result.get("failed"), message
        if module_name == "frr_bgp":
            base, dummy = _run(monkeypatch, capsys, module_name, copy.deepcopy(spec["args"]))
            assert len(result["rendered"]) == len(base["rendered"]), "a value added or removed lines"
    else:
        assert result.get("failed"), "%s=%r was taken" % (option["option"], value)
        assert expected in message and option["name"] in message, message
    if option.get("secret"):
        for form in _forms(value):
            assert form not in out, "the secret reached the output"


def test_every_module_that_renders_or_connects_is_in_the_catalogue():
    modules = set(spec.get("module", key) for key, spec in CATALOGUE["modules"].items())
    assert modules == set(["frr_bgp", "dhcp_reservation", "netbox_ip_range", "address_plan"])
    assert len(_cases()) >= 400
