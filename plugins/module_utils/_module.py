# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How every module of the collection ends: one call into module_utils, one way to fail.

PRIVATE to this collection: no compatibility promise outside it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._deps import require
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError


def run(module, call, libraries=("netaddr",)):
    """Check the libraries, run ``call()`` for the result and exit with it.

    Any ExposureError becomes a failure with its message (and its ``details`` as result keys);
    the ``diff`` key is dropped unless the run asked for ``--diff``.
    """
    require(module, *libraries)
    try:
        result = call()
    except ExposureError as exc:
        details = dict(exc.details)
        details.setdefault("changed", False)
        module.fail_json(msg=str(exc), **details)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
