# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Strings that reach rendered configuration, HTTP headers or files, and secrets.

PRIVATE to this collection: no compatibility promise outside it.

Every string the collection writes into something another program parses line by line (FRR
configuration, dnsmasq files, HTTP headers) is checked here first, so a newline in an
inventory string can never add a line. Each check raises ``TextError`` naming the variable or
option (``where``); a secret's value never appears in a message. ``masked`` replaces the values
of keys that look secret (password, secret, token, key, ...) in data that is written or
returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError

MASK = "********"
# C0 controls (newline, carriage return, tab, escape...), DEL and the C1 controls.
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029]")
_SHOWN = 60
# Words that make a key's value secret ("basic-auth-password", "tsig-keys", "api_token"...).
SECRET_WORDS = frozenset([
    "password", "passwd", "passphrase", "secret", "secrets", "token", "key", "keys",
    "credential", "credentials", "private",
])


class TextError(ExposureError, ValueError):
    """A string cannot be used where it goes; the message names the variable or option."""


def shown(value):
    """A short repr of a (non-secret) value for a message: control characters escaped."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 5] + "...'"


def _kind(value):
    return "null" if value is None else type(value).__name__


def control_character(value):
    """A description of the first control character in ``value``, or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    return names.get(found.group(0), "the control character U+%04X" % ord(found.group(0)))


def text(where, value, max_length, ascii_only=False, required=True):
    """One line of text: a string without control characters, at most ``max_length`` long.

    ``ascii_only``: printable ASCII only (for programs that read bytes, like FRR).
    Returns the value; raises TextError naming ``where``.
    """
    if value is None or value == "":
        if required:
            raise TextError("%s is empty; give it a value" % where)
        return value
    if not isinstance(value, str):
        raise TextError("%s = %s must be a string, got %s" % (where, shown(value), _kind(value)))
    problem = control_character(value)
    if problem:
        raise TextError("%s = %s contains %s; it must be a single line of text"
                        % (where, shown(value), problem))
    if ascii_only and not all(" " <= c <= "~" for c in value):
        raise TextError("%s = %s must be printable ASCII (no accents, symbols or emoji)"
                        % (where, shown(value)))
    if len(value) > max_length:
        raise TextError("%s is %d characters long (%s); use at most %d"
                        % (where, len(value), shown(value), max_length))
    return value


def name(where, value, pattern, max_length, rule):
    """A name matching ``pattern`` (a compiled regex), at most ``max_length`` long.

    ``rule`` says what is allowed, for the message ("letters, digits, '-'...").
    """
    if not isinstance(value, str) or not value:
        raise TextError("%s is missing or empty; give a name (%s)" % (where, rule))
    if len(value) > max_length or not pattern.match(value):
        raise TextError("%s = %s is not a valid name: use %s, at most %d characters"
                        % (where, shown(value), rule, max_length))
    return value


def secret(where, value, min_length=1, max_length=1024, word=False, required=True):
    """A secret, checked without ever showing it; returns it.

    Always: a string on one line (no newline or other control character) of ``min_length`` to
    ``max_length`` characters. ``word``: also printable ASCII without spaces, for a secret that
    is one token of a configuration line (an FRR password).
    """
    if word:
        rule = "use %d-%d printable ASCII characters without spaces" % (min_length, max_length)
    else:
        rule = "use %d-%d characters on one line" % (min_length, max_length)
    if value is None or value == "":
        if required:
            raise TextError("%s is not set; set it (from a vault or a credential)" % where)
        return value
    if not isinstance(value, str):
        raise TextError("%s must be a string (quote it in YAML), got %s" % (where, _kind(value)))
    problem = control_character(value)
    if problem is None and word and not all("!" <= c <= "~" for c in value):
        problem = "a space or a character outside printable ASCII"
    if problem:
        raise TextError("%s contains %s; %s (the value is not shown)" % (where, problem, rule))
    if not min_length <= len(value) <= max_length:
        raise TextError("%s has %d characters; %s (the value is not shown)"
                        % (where, len(value), rule))
    return value


def is_secret_key(key):
    """Whether a configuration key names a secret (its words, split on - _ . and space)."""
    if not isinstance(key, str):
        return False
    return any(word in SECRET_WORDS for word in re.split(r"[-_. ]+", key.lower()))


def masked(data):
    """A copy of ``data`` (dicts, lists, scalars) with the value of every secret key masked."""
    if isinstance(data, dict):
        return dict((key, MASK if is_secret_key(key) and value not in (None, "") else masked(value))
                    for key, value in data.items())
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data
