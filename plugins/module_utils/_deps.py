# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Third-party libraries, imported and checked in one place.

PRIVATE to this collection: no compatibility promise outside it.

A missing library must not break the import of a module (ansible-doc, sanity's import test),
only its use: ``netaddr`` is None here when it is not installed, ``check`` raises
MissingLibrary for code that has no module at hand (filters, module_utils), ``require`` fails a
module the way Ansible modules do (``missing_required_lib``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import MissingLibrary

_IMPORT_ERRORS = {}

try:
    import netaddr  # pylint: disable=unused-import  # used through this module: _deps.netaddr
except ImportError:
    netaddr = None
    _IMPORT_ERRORS["netaddr"] = traceback.format_exc()


def missing(*libraries):
    """The libraries among ``libraries`` that are not installed."""
    return [library for library in libraries if library in _IMPORT_ERRORS]


def check(*libraries):
    """Raise MissingLibrary naming the first library that is not installed."""
    for library in missing(*libraries):
        raise MissingLibrary("the Python library %s is required here; install it on the host "
                             "that runs this (pip install %s)" % (library, library))


def require(module, *libraries):
    """Fail the module for the first library that is not installed."""
    for library in missing(*libraries):
        module.fail_json(msg=missing_required_lib(library), exception=_IMPORT_ERRORS[library])
