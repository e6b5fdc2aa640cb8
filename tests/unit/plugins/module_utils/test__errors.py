# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.packet import PacketError
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import ProbeError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import RangeError
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.base import (
    ConcurrentChange,
    ReservationError,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.netbox import (
    NetBoxReservationError,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.netbox_client import NetBoxError
from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError
from ansible_collections.baremetal.exposure.plugins.module_utils._site.model import SiteModelError
from ansible_collections.baremetal.exposure.plugins.module_utils._text import TextError


@pytest.mark.parametrize("error", [PacketError, ProbeError, RangeError, ConcurrentChange, ReservationError,
                                   NetBoxReservationError, NetBoxError, RouterError, TextError])
def test_every_error_of_the_collection_derives_from_one_root(error):
    assert issubclass(error, ExposureError)


def test_details_travel_with_the_error():
    exc = SiteModelError(["site a: x", "site a: y"])
    assert isinstance(exc, ExposureError)
    assert str(exc) == "site a: x\nsite a: y" and exc.details == {"errors": ["site a: x", "site a: y"]}
