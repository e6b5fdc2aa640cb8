# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """How the modules reach NetBox and Kea (plugins/module_utils/_reservation/connection.py).

    Each backend's options carry its name, so module_defaults for the collection's action
    group never sends one system's URL or credentials to another.
    """

    DOCUMENTATION = r"""
options: {}
"""

    NETBOX = r"""
options:
  netbox_url:
    description:
      - The NetBox URL, for example V(https://netbox.example.com). A trailing C(/api) is
        accepted.
      - If not set, the environment variable E(NETBOX_API) is used.
    type: str
  netbox_token:
    description:
      - The NetBox API token, v2 (C(nbt_<key>.<secret>), sent as C(Bearer)) or v1 (40
        hexadecimal characters, sent as C(Token)).
      - If not set, the environment variable E(NETBOX_TOKEN) is used.
      - It is checked before any request (one line) and never appears in a message.
    type: str
  netbox_validate_certs:
    description: Whether to validate NetBox's TLS certificate.
    type: bool
    default: true
  netbox_timeout:
    description: Seconds to wait for each NetBox request (1-3600).
    type: int
    default: 30
"""

    KEA = r"""
options:
  kea_url:
    description:
      - Kea only. The URL of the Kea control agent (kea-ctrl-agent), for example
        V(http://198.51.100.2:8000/).
      - If not set, the environment variable E(KEA_API_URL) is used.
    type: str
  kea_username:
    description:
      - Kea only. User for the agent's HTTP basic authentication; none when empty. It must not
        contain C(:).
      - If not set, the environment variable E(KEA_API_USER) is used.
    type: str
  kea_password:
    description:
      - Kea only. Password for the agent's HTTP basic authentication, required with
        O(kea_username). It never appears in a message.
      - If not set, the environment variable E(KEA_API_PASSWORD) is used.
    type: str
  kea_validate_certs:
    description: Kea only. Whether to validate the agent's TLS certificate.
    type: bool
    default: true
  kea_timeout:
    description: Kea only. Seconds to wait for each answer of the agent (1-3600).
    type: int
    default: 10
"""
