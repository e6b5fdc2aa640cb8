# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How the collection reaches NetBox and Kea: option names, environment variables, checks.

PRIVATE to this collection: no compatibility promise outside it.

The one place that names the connection options and their environment fallbacks (as an AWX
credential injects them). Each backend's options carry its name (``netbox_url``,
``kea_url``...), as netbox.netbox does, so ``module_defaults`` for the collection's action
group never sends one system's URL or credentials to another. The documentation of these
options is the doc fragment ``baremetal.exposure._connection`` (plugins/doc_fragments).

The checks run before any request: a URL is http(s) without whitespace, a token or password
fits in an HTTP header without a line break (urllib would reject it with an error that
quotes the header, i.e. the secret), a user name has no ``:`` (HTTP basic authentication).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.basic import env_fallback

from ansible_collections.baremetal.exposure.plugins.module_utils import _text

# option -> environment variable, per backend.
NETBOX_ENV = {"netbox_url": "NETBOX_API", "netbox_token": "NETBOX_TOKEN"}
KEA_ENV = {"kea_url": "KEA_API_URL", "kea_username": "KEA_API_USER",
           "kea_password": "KEA_API_PASSWORD"}
SECRET_OPTIONS = ("netbox_token", "kea_password")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$")
URL_MAX = 2048
SECRET_MAX = 1024


def _spec(env, validate_certs, timeout):
    spec = {}
    for option, variable in env.items():
        spec[option] = dict(type="str", fallback=(env_fallback, [variable]))
        if option in SECRET_OPTIONS:
            spec[option]["no_log"] = True
    prefix = list(env)[0].split("_")[0]
    spec["%s_validate_certs" % prefix] = dict(type="bool", default=validate_certs)
    spec["%s_timeout" % prefix] = dict(type="int", default=timeout)
    return spec


def netbox_argument_spec():
    """netbox_url, netbox_token, netbox_validate_certs, netbox_timeout."""
    return _spec(NETBOX_ENV, True, 30)


def kea_argument_spec():
    """kea_url, kea_username, kea_password, kea_validate_certs, kea_timeout."""
    return _spec(KEA_ENV, True, 10)


def _label(names, option, env):
    return "%s (or the environment variable %s)" % (names.get(option, option), env[option]) \
        if option in env else names.get(option, option)


def check_url(where, value):
    if not value:
        raise _text.TextError("%s is not set; give the URL of the API" % where)
    # ASCII only: an international domain name is written in its xn-- form.
    _text.text(where, value, URL_MAX, ascii_only=True)
    if not _URL.match(value):
        raise _text.TextError("%s = %s must be an http:// or https:// URL without spaces"
                              % (where, _text.shown(value)))
    return value


def check_timeout(where, value):
    if value is not None and not 1 <= value <= 3600:
        raise _text.TextError("%s = %s must be from 1 to 3600 seconds" % (where, value))
    return value


def check_username(where, value):
    if value:
        _text.text(where, value, 256)
        if ":" in value:
            raise _text.TextError("%s = %s must not contain ':' (HTTP basic authentication "
                                  "splits user and password there)" % (where, _text.shown(value)))
    return value


def check_netbox(params, names=None):
    """Check the NetBox options of ``params`` (after the environment fallbacks).

    ``names`` maps an option to the name the user knows it by (``exposure_ipam.url``).
    """
    names = names or {}
    check_url(_label(names, "netbox_url", NETBOX_ENV), params.get("netbox_url"))
    _text.secret(_label(names, "netbox_token", NETBOX_ENV), params.get("netbox_token"),
                 1, SECRET_MAX)
    check_timeout(names.get("netbox_timeout", "netbox_timeout"), params.get("netbox_timeout"))


def check_kea(params, names=None):
    """Check the Kea options of ``params`` (after the environment fallbacks); a password is
    needed with a user name. ``names`` as for check_netbox."""
    names = names or {}
    check_url(_label(names, "kea_url", KEA_ENV), params.get("kea_url"))
    check_username(_label(names, "kea_username", KEA_ENV), params.get("kea_username"))
    _text.secret(_label(names, "kea_password", KEA_ENV), params.get("kea_password"),
                 1, SECRET_MAX, required=bool(params.get("kea_username")))
    check_timeout(names.get("kea_timeout", "kea_timeout"), params.get("kea_timeout"))
