# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kube-proxy and strictARP: read the situation, change the ConfigMap only in IPVS mode, roll out.

PRIVATE to this collection: no compatibility promise outside it.

The ConfigMap is written whole with the resourceVersion it was read at, so an edit made in
between is never overwritten: a 409 re-reads once and decides again. kube-proxy never re-reads
its file, so a changed file is followed by a rollout: the DaemonSet's pod template gets the
annotation ROLLOUT_ANNOTATION = a hash of config.conf (server-side apply, our field manager).
That annotation also makes the rollout survive an interrupted run: as long as we wrote the
ConfigMap (our field manager is in its managedFields) and the pods were not started from the
current text, the next run rolls out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import proxy_config
from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeConflict

ROLLOUT_ANNOTATION = "baremetal.exposure/kube-proxy-config"
CONFIG_KEY = "config.conf"

NO_CONFIGMAP = (
    "there is no ConfigMap {ns}/{cm}{ds}. Clusters whose kube-proxy is not configured this way "
    "(k3s and k0s embed it, RKE2 runs it as a static pod with flags, Cilium and others replace "
    "it) need nothing here unless kube-proxy runs in IPVS mode: then set strictARP where that "
    "distribution configures kube-proxy (e.g. k3s: --kube-proxy-arg=ipvs-strict-arp=true)")


class ProxyError(Exception):
    """The stage cannot finish; the message says what and what to do."""


class KubeProxy:
    """One run of the kube_proxy module against `api` (a KubeApi or a test fake)."""

    def __init__(self, api, namespace, configmap, daemonset, field_manager, manage=True,
                 check_mode=False, rollout=True, wait_timeout=300, sleep=time.sleep,
                 clock=time.monotonic):
        self.api = api
        self.namespace = namespace
        self.configmap = configmap
        self.daemonset = daemonset
        self.field_manager = field_manager
        self.manage = manage
        self.check_mode = check_mode
        self.rollout = rollout
        self.wait_timeout = wait_timeout
        self.sleep = sleep
        self.clock = clock

    def run(self):
        result = {"changed": False, "warnings": [], "rolled_out": False}
        for attempt in (1, 2):
            configmap = self.api.get("v1", "ConfigMap", self.configmap, self.namespace)
            situation = self._situation(configmap, result)
            if situation != "ipvs" or not result["would_change"] or not self.manage \
                    or self.check_mode:
                break
            try:
                written = self.api.replace("v1", "ConfigMap", self._updated(configmap, result),
                                           self.field_manager)
            except KubeConflict as exc:
                if attempt == 2:
                    raise ProxyError(
                        "ConfigMap %s/%s changed twice while this run was writing it (409 "
                        "Conflict): someone else is editing it; rerun when they are done"
                        % (self.namespace, self.configmap)) from exc
                continue
            result["changed"] = True
            configmap = written
            break
        if situation == "ipvs" and self.manage:
            self._rollout(configmap, result)
        if self.check_mode and result.get("would_change") and self.manage:
            result["changed"] = True
        return result

    def _situation(self, configmap, result):
        """Fill in situation, mode, strict_arp, would_change, msg; return the situation."""
        result.update({"mode": None, "strict_arp": None, "would_change": False,
                       "before": None, "after": None})
        where = "%s/%s" % (self.namespace, self.configmap)
        if configmap is None:
            daemonset = self.api.get("apps/v1", "DaemonSet", self.daemonset, self.namespace)
            found = (" (a DaemonSet %s/%s exists: it configures kube-proxy otherwise, e.g. with "
                     "flags)" % (self.namespace, self.daemonset)) if daemonset else ""
            result["situation"] = "no_configmap"
            result["msg"] = "kube-proxy: " + NO_CONFIGMAP.format(
                ns=self.namespace, cm=self.configmap, ds=found)
            return result["situation"]
        text = (configmap.get("data") or {}).get(CONFIG_KEY)
        if text is None:
            result["situation"] = "no_config_key"
            result["msg"] = ("kube-proxy: ConfigMap %s has no data[%r] (not kubeadm's layout); "
                             "nothing changed. If kube-proxy runs in IPVS mode, set strictARP "
                             "where its configuration lives" % (where, CONFIG_KEY))
            return result["situation"]
        try:
            config = proxy_config.parse(text)
        except proxy_config.ProxyConfigError as exc:
            result["situation"] = "unreadable"
            result["msg"] = "kube-proxy: ConfigMap %s: %s; nothing changed" % (where, exc)
            return result["situation"]
        written, effective = proxy_config.mode(config)
        result["mode"] = effective
        result["strict_arp"] = proxy_config.strict_arp(config)
        result["before"] = text
        if effective != "ipvs":
            result["situation"] = effective if effective in ("iptables", "nftables") else "other"
            default = " (kube-proxy's default, mode is empty)" if not written else ""
            result["msg"] = ("kube-proxy runs in %s mode%s: strictARP only matters in IPVS mode, "
                             "nothing to change" % (effective, default))
            return result["situation"]
        result["situation"] = "ipvs"
        result["warnings"].append(proxy_config.IPVS_DEPRECATION)
        if result["strict_arp"]:
            result["msg"] = "kube-proxy runs in IPVS mode with strictARP already true"
            return "ipvs"
        new_text, how = proxy_config.set_strict_arp(text)
        result.update({"would_change": True, "after": new_text, "edit": how})
        if not self.manage:
            result["msg"] = ("kube-proxy runs in IPVS mode with strictARP false, and "
                             "exposure_kube_proxy.manage is false: nothing changed. Without "
                             "strictARP every node answers ARP for the VIPs; set it to true")
        else:
            result["msg"] = "kube-proxy runs in IPVS mode: strictARP %s true in %s" % (
                "would be set to" if self.check_mode else "set to", where)
        if how == "dumped":
            result["warnings"].append(
                "config.conf of %s could not be edited in place (flow style or an unusual "
                "layout): it was rewritten whole, same keys and values, comments dropped" % where)
        return "ipvs"

    def _updated(self, configmap, result):
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": dict(configmap["metadata"]),
                "data": dict(configmap.get("data") or {})}
        for key in ("binaryData", "immutable"):
            if key in configmap:
                body[key] = configmap[key]
        body["metadata"].pop("managedFields", None)
        body["data"][CONFIG_KEY] = result["after"]
        return body

    def _rollout(self, configmap, result):
        """Roll kube-proxy out when its pods may run an older config.conf than the ConfigMap's."""
        text = result["after"] if (self.check_mode and result["would_change"]) \
            else ((configmap or {}).get("data") or {}).get(CONFIG_KEY)
        if text is None or not self.rollout:
            return
        daemonset = self.api.get("apps/v1", "DaemonSet", self.daemonset, self.namespace)
        if daemonset is None:
            if result["would_change"]:
                result["warnings"].append(
                    "no DaemonSet %s/%s: restart kube-proxy on every node yourself, it reads "
                    "config.conf only when it starts" % (self.namespace, self.daemonset))
            return
        wanted = proxy_config.config_hash(text)
        template = ((daemonset.get("spec") or {}).get("template") or {}).get("metadata") or {}
        current = (template.get("annotations") or {}).get(ROLLOUT_ANNOTATION)
        ours = result["changed"] or (self.check_mode and result["would_change"]) \
            or self._written_by_us(configmap)
        if current == wanted or not ours:
            return
        result["rollout_annotation"] = {ROLLOUT_ANNOTATION: wanted}
        if self.check_mode:
            result["rolled_out"] = True
            result["changed"] = True
            return
        patch = {"apiVersion": "apps/v1", "kind": "DaemonSet",
                 "metadata": {"name": self.daemonset, "namespace": self.namespace},
                 "spec": {"template": {"metadata": {"annotations": {ROLLOUT_ANNOTATION: wanted}}}}}
        applied = self.api.apply("apps/v1", "DaemonSet", patch, self.field_manager)
        result["changed"] = True
        result["rolled_out"] = True
        self._wait(applied)

    def _written_by_us(self, configmap):
        for entry in ((configmap or {}).get("metadata") or {}).get("managedFields") or []:
            if entry.get("manager") == self.field_manager:
                return True
        return False

    def _wait(self, applied):
        generation = (applied.get("metadata") or {}).get("generation") or 0
        deadline = self.clock() + self.wait_timeout
        while True:
            daemonset = self.api.get("apps/v1", "DaemonSet", self.daemonset, self.namespace)
            done, status = rolled_out(daemonset, generation)
            if done:
                return
            if self.clock() >= deadline:
                raise ProxyError(
                    "kube-proxy DaemonSet %s/%s did not finish its rollout within %ss (%s); the "
                    "ConfigMap is already changed, so a rerun finishes the rollout: check the "
                    "kube-proxy pods (kubectl -n %s get pods -l k8s-app=kube-proxy)"
                    % (self.namespace, self.daemonset, self.wait_timeout, status, self.namespace))
            self.sleep(2)


def rolled_out(daemonset, generation):
    """(done, a status line) for a DaemonSet after a change at `generation`."""
    if daemonset is None:
        return False, "the DaemonSet is gone"
    status = daemonset.get("status") or {}
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    observed = status.get("observedGeneration", 0)
    line = "generation %s observed %s, %s of %s pods updated, %s available" % (
        generation, observed, updated, desired, available)
    done = observed >= generation and updated == desired and available == desired
    return done, line
