# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small NetBox REST client over ansible.module_utils.urls.open_url (no pynetbox).

PRIVATE to this collection: no compatibility promise outside it.

Every error is a ``NetBoxError`` whose message names the URL and the fix. The token never
appears in a message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.urls import open_url

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._text import control_character

_V1_TOKEN = re.compile(r"^[0-9a-fA-F]{40}$")


class NetBoxError(ExposureError):
    """NetBox cannot be reached or refused a request; the message names the URL and the fix."""


def auth_header(token):
    """The Authorization header value for a NetBox token.

    NetBox 4.5+ v2 tokens (``nbt_<key>.<secret>``) are sent as ``Bearer``; v1 tokens (40 hex
    characters, and anything else) as ``Token``. A value already carrying a scheme is kept.
    """
    token = (token or "").strip()
    if not token:
        raise NetBoxError("no NetBox API token given: set netbox_token (exposure_ipam.token) or "
                          "NETBOX_TOKEN")
    if control_character(token):
        # urllib would refuse the header with an error that quotes it: say it without the token.
        raise NetBoxError("the NetBox API token contains %s; it must be one line (the token is "
                          "not shown)" % control_character(token))
    if token.startswith("Bearer ") or token.startswith("Token "):
        return token
    if token.startswith("nbt_"):
        return "Bearer %s" % token
    return "Token %s" % token


def token_kind(token):
    """'v2', 'v1' or 'unknown', for messages (never the token itself)."""
    token = (token or "").strip()
    if token.startswith("nbt_") or token.startswith("Bearer "):
        return "v2"
    if _V1_TOKEN.match(token) or token.startswith("Token "):
        return "v1"
    return "unknown"


def _error_text(body):
    """NetBox's own message out of an error body (JSON or text), shortened."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:500]
    if isinstance(data, dict) and set(data) == {"detail"}:
        return str(data["detail"])
    return json.dumps(data, sort_keys=True)[:1000]


class NetBoxClient:
    """GET/POST/PATCH/DELETE on NetBox's REST API, with pagination and clear errors."""

    def __init__(self, url, token, validate_certs=True, timeout=30, opener=None):
        if not url:
            raise NetBoxError("no NetBox URL given: set netbox_url (exposure_ipam.url) or NETBOX_API")
        self.url = url.rstrip("/")
        if self.url.endswith("/api"):
            self.url = self.url[:-len("/api")]
        self._kind = token_kind(token)
        self._headers = {
            "Authorization": auth_header(token),
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.validate_certs = validate_certs
        self.timeout = timeout
        self._open = opener or open_url

    def _request(self, method, path_or_url, query=None, body=None):
        url = path_or_url if path_or_url.startswith("http") else "%s/api/%s" % (
            self.url, path_or_url.lstrip("/"))
        if query:
            url += ("&" if "?" in url else "?") + urlencode(sorted(query.items()), doseq=True)
        data = json.dumps(body) if body is not None else None
        try:
            response = self._open(url, data=data, headers=self._headers, method=method,
                                  validate_certs=self.validate_certs, timeout=self.timeout)
            text = response.read()
        except HTTPError as exc:
            try:
                detail = _error_text(exc.read().decode("utf-8", "replace"))
            except Exception:  # pylint: disable=broad-except
                detail = str(exc)
            raise NetBoxError(self._describe(method, url, exc.code, detail)) from exc
        except (URLError, OSError, ValueError) as exc:
            raise NetBoxError(
                "NetBox at %s is unreachable (%s %s: %s); check netbox_url "
                "(exposure_ipam.url / NETBOX_API) and that NetBox is running"
                % (self.url, method, url, getattr(exc, "reason", exc))
            ) from exc
        if not text:
            return None
        return json.loads(text)

    def _describe(self, method, url, code, detail):
        if code in (401, 403):
            return (
                "NetBox at %s refused the API token (HTTP %d on %s %s: %s); check the token "
                "(exposure_ipam.token / NETBOX_TOKEN, read as a %s token) and its permissions"
                % (self.url, code, method, url, detail, self._kind)
            )
        if code == 400:
            return "NetBox at %s rejected %s %s (HTTP 400): %s" % (self.url, method, url, detail)
        if code == 404:
            return ("NetBox at %s has no %s (HTTP 404); check netbox_url (exposure_ipam.url / "
                    "NETBOX_API)" % (self.url, url))
        return "NetBox at %s answered HTTP %d to %s %s: %s" % (self.url, code, method, url, detail)

    def list(self, path, **query):
        """Every object of a list endpoint matching ``query`` (follows ``next``)."""
        query.setdefault("limit", 1000)
        page = self._request("GET", path, query)
        found = list(page.get("results", []))
        while page.get("next"):
            page = self._request("GET", page["next"])
            found.extend(page.get("results", []))
        return found

    def create(self, path, body):
        return self._request("POST", path, body=body)

    def update(self, path, object_id, body):
        return self._request("PATCH", "%s%d/" % (path, object_id), body=body)

    def delete(self, path, object_id):
        self._request("DELETE", "%s%d/" % (path, object_id))
