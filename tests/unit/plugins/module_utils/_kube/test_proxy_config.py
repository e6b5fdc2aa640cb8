# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import proxy_config

with open(os.path.join(os.path.dirname(__file__), "test_proxy_config.yml")) as _f:
    DATA = yaml.safe_load(_f)


def _text(case):
    text = case["text"]
    for old, new in case.get("substitute", []):
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_mode_and_strict_arp(case):
    config = proxy_config.parse(_text(case))
    assert proxy_config.mode(config)[1] == case["mode"]
    assert proxy_config.strict_arp(config) is case["strict_arp"]


@pytest.mark.parametrize("case", [c for c in DATA["cases"] if not c["strict_arp"]
                                  and c["mode"] == "ipvs"], ids=lambda c: c["id"])
def test_set_strict_arp(case):
    text = _text(case)
    new, how = proxy_config.set_strict_arp(text)
    # Whatever the route, the meaning is the old configuration plus strictARP, nothing else.
    assert yaml.safe_load(new) == proxy_config.wanted(proxy_config.parse(text))
    if case.get("how") == "dumped":
        assert how == "dumped"
        return
    assert how == "edited"
    expected = case.get("new")
    if expected is None:
        expected = text
        for old, replacement in case["replace"]:
            assert expected.count(old) == 1, old
            expected = expected.replace(old, replacement)
    assert new == expected


def test_setting_it_twice_changes_nothing_more():
    once = proxy_config.set_strict_arp(DATA["kubeadm"])[0]
    config = proxy_config.parse(once)
    assert proxy_config.strict_arp(config)
    assert proxy_config.set_strict_arp(once)[0] == once


def test_quoted_zero_stays_a_quoted_string():
    new = proxy_config.set_strict_arp(DATA["kubeadm"])[0]
    assert 'infoBufferSize: "0"' in new
    assert proxy_config.parse(new)["logging"]["options"]["json"]["infoBufferSize"] == "0"


def test_hash_is_stable_and_short():
    assert proxy_config.config_hash("a") == proxy_config.config_hash("a")
    assert len(proxy_config.config_hash("a")) == 16
    assert proxy_config.config_hash("a") != proxy_config.config_hash("b")


@pytest.mark.parametrize("case", DATA["errors"], ids=[c["id"] for c in DATA["errors"]])
def test_unreadable(case):
    with pytest.raises(proxy_config.ProxyConfigError, match=case["match"]):
        proxy_config.parse(case["text"])
