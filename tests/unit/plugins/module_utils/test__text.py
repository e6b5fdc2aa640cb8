# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils import _text


@pytest.mark.parametrize("value,problem", [
    ("a\nb", "a newline"), ("a\rb", "a carriage return"), ("a\tb", "a tab"),
    ("a\x1bb", "the control character U+001B"), ("a\u2028b", "the control character U+2028"),
])
def test_one_line_means_no_control_character(value, problem):
    with pytest.raises(_text.TextError) as exc:
        _text.text("opt", value, 100)
    assert "opt = %r contains %s" % (value, problem) in str(exc.value)


def test_ascii_only_and_length():
    assert _text.text("opt", "Café", 10) == "Café"
    with pytest.raises(_text.TextError, match="must be printable ASCII"):
        _text.text("opt", "Café", 10, ascii_only=True)
    with pytest.raises(_text.TextError, match="opt is 11 characters long"):
        _text.text("opt", "x" * 11, 10)


@pytest.mark.parametrize("value,word,problem", [
    ("two words", True, "contains a space or a character outside printable ASCII"),
    ("pässword", True, "contains a space or a character outside printable ASCII"),
    ("new\nline", False, "contains a newline"),
    ("x" * 81, True, "has 81 characters; use 1-80"),
])
def test_a_secret_is_named_never_shown(value, word, problem):
    with pytest.raises(_text.TextError) as exc:
        _text.secret("the.password", value, 1, 80, word)
    assert problem in str(exc.value) and "(the value is not shown)" in str(exc.value)
    assert value not in str(exc.value) and "word" not in str(exc.value).replace("password", "")


def test_a_secret_frr_takes():
    assert _text.secret("p", 'a"b\\c#d!e', 1, 80, word=True) == 'a"b\\c#d!e'
    assert _text.secret("p", None, required=False) is None
    with pytest.raises(_text.TextError, match="p is not set"):
        _text.secret("p", "")


def test_masked_hides_every_secret_key_at_any_depth():
    config = {"Dhcp4": {"lease-database": {"type": "mysql", "password": "db"},
                        "hooks-libraries": [{"library": "x.so", "parameters": {
                            "basic-auth-password": "hook", "api_token": "t"}}],
                        "tsig-keys": [{"name": "k", "secret": "s"}],
                        "valid-lifetime": 3600, "empty-password": ""}}
    assert _text.masked(config) == {"Dhcp4": {
        "lease-database": {"type": "mysql", "password": "********"},
        "hooks-libraries": [{"library": "x.so", "parameters": {
            "basic-auth-password": "********", "api_token": "********"}}],
        "tsig-keys": "********", "valid-lifetime": 3600, "empty-password": ""}}
