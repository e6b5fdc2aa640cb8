# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Why pods are not ready, in one line each, for a failed rollout's message.

PRIVATE to this collection: no compatibility promise outside it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def not_ready(pods):
    """One line per pod that is not Ready: where it runs, its phase and each container's state
    (waiting reason and message, last termination, restarts), most telling first."""
    lines = []
    for pod in pods or []:
        meta, status = pod.get("metadata", {}), pod.get("status", {})
        conditions = dict((c.get("type"), c.get("status")) for c in status.get("conditions", []))
        if conditions.get("Ready") == "True":
            continue
        why = []
        for container in status.get("containerStatuses", []) or []:
            if container.get("ready"):
                continue
            state = container.get("state", {})
            last = container.get("lastState", {}).get("terminated") or {}
            if "waiting" in state:
                what = "waiting: %s" % state["waiting"].get("reason", "?")
                if state["waiting"].get("message"):
                    what += " (%s)" % state["waiting"]["message"][:200]
            elif "terminated" in state:
                what = "terminated: %s" % state["terminated"].get("reason", "?")
            else:
                what = "running, not ready (readiness probe)"
            if last:
                what += ", last exit %s %s" % (last.get("exitCode"), last.get("reason", ""))
            if container.get("restartCount"):
                what += ", %d restarts" % container["restartCount"]
            why.append("%s %s" % (container.get("name"), what.strip()))
        if not why:
            unscheduled = [c.get("message") for c in status.get("conditions", [])
                           if c.get("type") == "PodScheduled" and c.get("status") != "True"]
            why.append(unscheduled[0] if unscheduled else "phase %s" % status.get("phase"))
        node = pod.get("spec", {}).get("nodeName") or "no node"
        lines.append("%s on %s: %s" % (meta.get("name"), node, ", ".join(why)))
    return lines
