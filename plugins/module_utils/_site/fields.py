# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the site model's dict variables: known keys, typed values, defaults, one error each.

PRIVATE to this collection: no compatibility promise outside it.

A variable such as ``exposure_kube_proxy`` is read with a table of ``key: (check, default)``
(``section``); a check normalizes one value or raises FieldError, and the error becomes one
line naming the site and the variable path (``exposure_kube_proxy.rollout_timeout``). Values
are read the way Ansible modules read them: booleans in Ansible's spellings (``yes``, ``"no"``,
``on``, ``1``...), integers also as digit strings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible.module_utils.parsing.convert_bool import boolean as ansible_boolean

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import RangeError, parse_range

K8S_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
K8S_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# An image reference: [registry[:port]/]path[:tag][@digest], lowercase path components.
IMAGE = re.compile(
    r"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")
# A Kubernetes qualified name (loadBalancerClass): [DNS subdomain/]name.
QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
# A Linux interface name (IFNAMSIZ - 1 bytes, no '/', ':' or whitespace).
INTERFACE = re.compile(r"^[A-Za-z0-9_.@-]{1,15}$")
# Site and pool names: Kubernetes object names (MetalLB pool names).
NAME_RE = K8S_LABEL
NAME_MAX = 63
ASN_MAX = 4294967295
AS_TRANS = 23456


class FieldError(ValueError):
    """One value is wrong; the message starts with the variable path."""


class Errors:
    """Collects the errors of one site, each prefixed with ``site <name>: ``."""

    def __init__(self, site_label):
        self.site_label = site_label
        self.items = []

    def add(self, text):
        self.items.append("site %s: %s" % (self.site_label, text))


class Collect:
    """An error collector without a site prefix, for a value checked as a whole."""

    def __init__(self):
        self.items = []

    def add(self, text):
        self.items.append(text)


def type_name(value):
    return "null" if value is None else type(value).__name__


def unknown_keys(errors, where, data, allowed):
    for key in sorted(set(data) - set(allowed), key=str):
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = "did you mean %r?" % close[0] if close else "known keys: %s" % ", ".join(allowed)
        errors.add("%s has an unknown key %r; %s" % (where, key, hint))


# ---- checks: (where, value) -> normalized value, or FieldError -------------------------------

def boolean(where, value):
    try:
        return ansible_boolean(value, strict=True)
    except TypeError:
        raise FieldError("%s = %s must be true or false (yes/no, on/off, 1/0 work too)"
                         % (where, _text.shown(value))) from None


def integer(lowest, highest, also=()):
    """An integer from ``lowest`` to ``highest`` (or one of ``also``), digits as text too."""
    def check(where, value):
        number = value
        if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int) or not (
                lowest <= number <= highest or number in also):
            raise FieldError("%s = %s must be an integer from %d to %d%s" % (
                where, _text.shown(value), lowest, highest,
                "".join(" or %d" % a for a in also)))
        return number
    return check


def asn(where, value):
    number = integer(1, ASN_MAX)(where, value)
    if number == AS_TRANS:
        raise FieldError("%s = 23456 is AS_TRANS (RFC 6793), not an AS number" % where)
    return number


def choice(*values):
    def check(where, value):
        if value not in values:
            raise FieldError("%s = %s is unknown; use one of: %s"
                             % (where, _text.shown(value), ", ".join(values)))
        return value
    return check


def pattern(regex, max_length, rule):
    def check(where, value):
        try:
            return _text.name(where, value, regex, max_length, rule)
        except _text.TextError as exc:
            raise FieldError(str(exc)) from exc
    return check


k8s_name = pattern(K8S_LABEL, 63, "lowercase letters, digits and '-' (a Kubernetes name)")
k8s_subdomain = pattern(K8S_SUBDOMAIN, 253,
                        "lowercase letters, digits, '-' and '.' (a Kubernetes object name)")
image = pattern(IMAGE, 512, "an image reference [registry/]path[:tag][@digest]")
qualified_name = pattern(QUALIFIED, 316, "a qualified name [example.com/]name")
interface = pattern(INTERFACE, 15, "a network interface name")


def text(max_length, ascii_only=False):
    """One line of text (no newline or other control character), at most ``max_length``."""
    def check(where, value):
        try:
            return _text.text(where, value, max_length, ascii_only=ascii_only)
        except _text.TextError as exc:
            raise FieldError(str(exc)) from exc
    return check


def raw(where, value):
    """Any value, checked later by its user (connection settings, checked as the modules do)."""
    return value


def optional(check):
    """``check``, or null (None) left as is."""
    def wrapped(where, value):
        return None if value is None else check(where, value)
    return wrapped


def list_of(check):
    def wrapped(where, value):
        if not isinstance(value, list):
            raise FieldError("%s must be a list, got %s" % (where, type_name(value)))
        return [check("%s[%d]" % (where, index), item) for index, item in enumerate(value)]
    return wrapped


def without(value, key):
    """A dict variable without one key (a secret, which is checked from ``secrets``)."""
    if isinstance(value, dict):
        return dict((k, v) for k, v in value.items() if k != key)
    return value


def run(errors, check, where, value, default=None):
    """``check(where, value)``, or ``default`` after adding its error."""
    try:
        return check(where, value)
    except (FieldError, _text.TextError) as exc:
        errors.add(str(exc))
        return default


def section(errors, where, value, table):
    """A dict variable read with ``table`` (key -> (check, default)) into a full dict.

    A missing key (or null) takes its default (defaults are not checked); a bad value its
    default after an error. Returns None when ``value`` is not a dict (after an error).
    """
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.add("%s must be a dict, got %s" % (where, type_name(value)))
        return None
    unknown_keys(errors, where, value, list(table))
    result = {}
    for key, (check, default) in table.items():
        given = value.get(key)
        result[key] = default if given is None else run(
            errors, check, "%s.%s" % (where, key), given, default)
    return result


# ---- names and address specs of the site model --------------------------------------------

def pool_label(pool_index, name):
    if isinstance(name, str) and name:
        return "pool %r (exposure_pools[%d])" % (name, pool_index)
    return "pool exposure_pools[%d]" % pool_index


def check_name(errors, where, value, what):
    if not isinstance(value, str) or not value:
        errors.add("%s is missing or empty; give the %s a name" % (where, what))
        return False
    if len(value) > NAME_MAX or not NAME_RE.match(value):
        errors.add(
            "%s = %s is not a valid %s name: use at most %d lowercase letters, digits and '-', "
            "starting and ending with a letter or digit (a Kubernetes object name)"
            % (where, _text.shown(value), what, NAME_MAX)
        )
        return False
    return True


def parse_specs(errors, where, specs, prefix=""):
    """Parse a list of address specs; return [(index, AddressRange)] of the good ones."""
    if not isinstance(specs, list):
        errors.add("%s%s must be a list of address specs, got %s" % (prefix, where, type_name(specs)))
        return []
    parsed = []
    for index, spec in enumerate(specs):
        try:
            parsed.append((index, parse_range(spec)))
        except RangeError as exc:
            errors.add("%s%s[%d]: %s" % (prefix, where, index, exc))
    return parsed


def parse_address(errors, where, value):
    """One IP address (no CIDR, no range), or None after adding an error."""
    if isinstance(value, str) and ("/" in value or "-" in value):
        errors.add("%s = %r must be a single IP address, not a CIDR or a range" % (where, value))
        return None
    try:
        return parse_range(value).first
    except RangeError as exc:
        errors.add("%s: %s" % (where, exc))
        return None
