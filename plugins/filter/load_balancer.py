# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that turn a site's plan into the load balancer's Kubernetes objects.

The documentation of each filter is in the YAML file of the same name next to this one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import lb_objects, pods


def lb_pool_objects(plan):
    """The metallb.io objects (pools, advertisements, peers, BFD profile) of a site's plan."""
    try:
        return lb_objects.pool_objects(plan)
    except (lb_objects.PlanError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("lb_pool_objects: %s" % _why(exc)) from None


def lb_canaries(plan):
    """The canary LoadBalancer Services, one per pool a canary may use."""
    try:
        return lb_objects.canaries(plan)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("lb_canaries: %s" % _why(exc)) from None


def lb_prunable(managed, desired, keep=None):
    """The objects of `managed` that we wrote and `desired` no longer has."""
    return lb_objects.prunable(managed, desired, keep=keep or [])


def in_ranges(addresses, ranges):
    """The addresses that lie in one of the ranges ({first, last})."""
    try:
        return lb_objects.in_ranges(addresses, ranges)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("in_ranges: %s" % _why(exc)) from None


def pods_not_ready(resources):
    """One line per pod that is not Ready, saying why (a failed rollout's message)."""
    return pods.not_ready(resources)


def _why(exc):
    if isinstance(exc, KeyError):
        return "the plan has no key %s (run the address_plan role first)" % exc
    return str(exc)


class FilterModule:
    """Load balancer filters."""

    def filters(self):
        return {
            "lb_pool_objects": lb_pool_objects,
            "pods_not_ready": pods_not_ready,
            "lb_canaries": lb_canaries,
            "lb_prunable": lb_prunable,
            "in_ranges": in_ranges,
        }
