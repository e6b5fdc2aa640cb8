# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small client of kea-ctrl-agent's HTTP API (one command, one answer).

PRIVATE to this collection: no compatibility promise outside it.

Every error is a ``ReservationError`` whose message names the agent's URL, the command and the
fix; the password never appears in one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.base import (
    ReservationError,
)


class KeaClient:
    """Commands to one Kea service through the control agent. ``transport`` is open_url's
    signature (a fake in unit tests)."""

    def __init__(self, url, username=None, password=None, service="dhcp4",
                 validate_certs=True, timeout=10, transport=None):
        self.url = url
        self.username = username
        self.password = password
        self.service = service
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.transport = transport or open_url

    def command(self, command, arguments=None, accept=(0,)):
        body = {"command": command, "service": [self.service]}
        if arguments is not None:
            body["arguments"] = arguments
        headers = {"Content-Type": "application/json"}
        if self.username:
            token = "%s:%s" % (self.username, self.password or "")
            headers["Authorization"] = "Basic " + base64.b64encode(
                token.encode("utf-8")).decode("ascii")
        try:
            response = self.transport(
                self.url, data=json.dumps(body), headers=headers, method="POST",
                validate_certs=self.validate_certs, timeout=self.timeout,
            )
            text = response.read()
        except HTTPError as exc:
            if exc.code in (401, 403):
                raise ReservationError(
                    "the Kea control agent at %s refused the credentials (HTTP %d) for user %r; "
                    "set kea_username/kea_password (exposure_dhcp.kea, KEA_API_USER/KEA_API_PASSWORD) "
                    "to a client of its "
                    "'authentication' section" % (self.url, exc.code, self.username or "")
                ) from exc
            raise ReservationError("the Kea control agent at %s answered HTTP %d to %s: %s"
                                   % (self.url, exc.code, command, exc.reason)) from exc
        except (URLError, OSError, ValueError) as exc:
            raise ReservationError(
                "cannot reach the Kea control agent at %s (%s): %s; check kea_url "
                "(exposure_dhcp.kea.url / KEA_API_URL) "
                "and that kea-ctrl-agent runs and listens there"
                % (self.url, command, getattr(exc, "reason", exc))
            ) from exc
        try:
            answer = json.loads(text)
        except ValueError:
            raise ReservationError("the Kea control agent at %s answered %s with something "
                                   "that is not JSON: %r" % (self.url, command, text[:200])) from None
        if isinstance(answer, list):
            answer = answer[0] if answer else {}
        if answer.get("result") not in accept:
            raise ReservationError(
                "Kea %s (service %s at %s) failed with result %s: %s"
                % (command, self.service, self.url, answer.get("result"), answer.get("text"))
            )
        return answer
