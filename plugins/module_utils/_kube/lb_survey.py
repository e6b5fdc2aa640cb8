# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a cluster already holds before the load balancer is installed: other LoadBalancer
implementations (which stop the role before any change), MetalLB's parts (which a migration
takes over), and the objects this collection wrote earlier (which pruning considers).

PRIVATE to this collection: no compatibility promise outside it.

`fetch` reads (a few GETs and lists through KubeApi); `survey` decides, as a pure function of
what was read, so every rule is tested with data (tests/unit/.../test_lb_survey.yml).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "baremetal.exposure"
SITE_LABEL = "baremetal.exposure/site"
PART_OF = "app.kubernetes.io/part-of"
OUR_PART_OF = "baremetal-lb"
# The metallb.io CRDs this collection serves (roles/load_balancer/files/crds).
OUR_CRDS = ["bfdprofiles.metallb.io", "bgpadvertisements.metallb.io", "bgppeers.metallb.io",
            "communities.metallb.io", "configurationstates.metallb.io",
            "ipaddresspools.metallb.io", "l2advertisements.metallb.io",
            "servicel2statuses.metallb.io"]
# MetalLB's own CRDs that we do not serve: left alone, mentioned after a migration.
METALLB_ONLY_CRDS = ["addresspools.metallb.io"]
OTHER_CRDS = {
    "ciliumloadbalancerippools.cilium.io": "Cilium LB-IPAM",
    "servicegroups.purelb.io": "PureLB",
    "lbnodeagents.purelb.io": "PureLB",
    "eips.network.kubesphere.io": "OpenELB",
}
# Kinds of the objects the load_balancer role writes from the plan (and may prune).
POOL_KINDS = [("metallb.io/v1beta1", "IPAddressPool"), ("metallb.io/v1beta1", "L2Advertisement"),
              ("metallb.io/v1beta1", "BGPAdvertisement"), ("metallb.io/v1beta2", "BGPPeer"),
              ("metallb.io/v1beta1", "BFDProfile"), ("metallb.io/v1beta1", "Community")]

_METALLB_IMAGE = re.compile(r"(^|/)metallb/(controller|speaker)([:@]|$)")
_FRR_IMAGE = re.compile(r"(^|/)frr([:@]|$)")

HOW = {
    "MetalLB": (
        "set exposure_load_balancer.migrate_from: metallb to migrate: MetalLB's controller is "
        "scaled to 0, our components take over its metallb.io CRDs and objects (kept as they "
        "are) and its Services (every IP kept), then MetalLB's controller and speaker are "
        "removed (roles/load_balancer/README.md, 'Migrating from MetalLB')"),
    "kube-vip": (
        "remove kube-vip's cloud provider (the Deployment kube-vip-cloud-provider and its "
        "kubevip ConfigMap) and set svc_enable=false on kube-vip (its control-plane VIP can "
        "stay); put the same address ranges in exposure_pools: our controller keeps the IPs "
        "Services already show when they lie in a pool"),
    "k3s ServiceLB": (
        "start k3s with --disable=servicelb (or `disable: [servicelb]` in "
        "/etc/rancher/k3s/config.yaml) on every server; the svclb-* DaemonSets go away and "
        "our controller keeps the IPs Services already show when they lie in a pool"),
    "Cilium LB-IPAM": (
        "delete the CiliumLoadBalancerIPPools (or give Cilium's Services their own "
        "loadBalancerClass) and put the same ranges in exposure_pools; Cilium's L2/BGP "
        "announcements of those IPs must be disabled too"),
    "PureLB": (
        "uninstall PureLB (its allocator and lbnodeagent, and the purelb.io ServiceGroups) and "
        "put the same ranges in exposure_pools; PureLB adds the VIPs to node interfaces "
        "(kube-lb0), so restart or clean the nodes' addresses"),
    "OpenELB": (
        "uninstall OpenELB (openelb-controller/speaker and its Eip objects) and put the same "
        "ranges in exposure_pools"),
}


def fetch(api, namespace, site, heartbeat_secret):
    """Everything `survey` needs, read from the cluster (plain dicts, no Secret data)."""
    crds = {}
    for name in OUR_CRDS + METALLB_ONLY_CRDS + sorted(OTHER_CRDS):
        crd = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        if crd is not None:
            crds[name] = {"labels": _labels(crd), "established": _established(crd),
                          "versions": [v["name"] for v in (crd.get("spec") or {}).get("versions", [])
                                       if v.get("served")]}
    found = {
        "crds": crds,
        "workloads": [_workload(o, kind) for kind in ("Deployment", "DaemonSet")
                      for o in api.list("apps/v1", kind)],
        # Static pods (kube-vip usually runs as one): no controller owns them, or the Node.
        "kube_system_pods": [_workload(o, "Pod")
                             for o in api.list("v1", "Pod", namespace="kube-system")
                             if all(r.get("kind") == "Node" for r in
                                    (o.get("metadata") or {}).get("ownerReferences") or [])],
        "k3s_nodes": [{"name": o["metadata"]["name"],
                       "node_args": _annotations(o).get("k3s.io/node-args", "")}
                      for o in api.list("v1", "Node",
                                        label_selector="node.kubernetes.io/instance-type=k3s")],
        "cilium_pools": _count(api, "cilium.io", "CiliumLoadBalancerIPPool",
                               crds.get("ciliumloadbalancerippools.cilium.io")),
        "webhooks": [{"name": o["metadata"]["name"], "labels": _labels(o),
                      "services": _webhook_services(o)}
                     for o in api.list("admissionregistration.k8s.io/v1",
                                       "ValidatingWebhookConfiguration")],
        "namespace_exists": api.get("v1", "Namespace", namespace) is not None,
        "legacy_configmap": False,
        "heartbeat_secret_exists": False,
        "managed": [],
    }
    if found["namespace_exists"]:
        found["legacy_configmap"] = api.get("v1", "ConfigMap", "config", namespace) is not None
        found["heartbeat_secret_exists"] = api.get("v1", "Secret", heartbeat_secret,
                                                   namespace) is not None
        if all(crds.get(name, {}).get("established") for name in OUR_CRDS):
            selector = "%s=%s,%s=%s" % (MANAGED_BY, MANAGER, SITE_LABEL, site)
            for api_version, kind in POOL_KINDS:
                for o in api.list(api_version, kind, namespace=namespace, label_selector=selector):
                    found["managed"].append(_managed(o, api_version, kind))
            for o in api.list("v1", "Secret", namespace=namespace, label_selector=selector):
                found["managed"].append(_managed(o, "v1", "Secret"))
    return found


def survey(found, namespace, migrate_from="none", import_legacy=False, lb_class=None):
    """Decide from `found` (see fetch): blocking findings, warnings, MetalLB's parts."""
    result = {"blocking": [], "warnings": [], "implementations": [],
              "metallb": _metallb(found), "migrate": False}
    metallb = result["metallb"]
    if metallb["present"]:
        _found(result, "MetalLB", _describe_metallb(metallb), migrate_from == "metallb")
        if migrate_from == "metallb":
            result["migrate"] = True
            _migration_checks(result, metallb, namespace, import_legacy,
                              found.get("legacy_configmap"))
    elif migrate_from == "metallb":
        result["warnings"].append(
            "exposure_load_balancer.migrate_from is metallb but no MetalLB was found (no "
            "controller or speaker, no metallb.io CRDs of its own): installing as usual")
    for name, what in _others(found):
        # With a loadBalancerClass of its own our controller serves only its Services, so it
        # can live beside another implementation that serves the unclassed ones.
        _found(result, name, what, allowed=bool(lb_class), coexist=bool(lb_class))
    return result


def _found(result, name, what, allowed, coexist=False):
    result["implementations"].append({"name": name, "found": what, "how_to_migrate": HOW[name]})
    if coexist:
        result["warnings"].append(
            "%s is also in the cluster (%s); our controller serves only Services of its own "
            "loadBalancerClass, so they coexist. To replace it: %s" % (name, what, HOW[name]))
    elif not allowed:
        result["blocking"].append(
            "another LoadBalancer implementation is in the cluster: %s (%s). Nothing was "
            "changed. To migrate: %s" % (name, what, HOW[name]))


def _metallb(found):
    controllers, speakers = [], []
    for w in found.get("workloads", []):
        if not _is_metallb(w):
            continue
        entry = {"namespace": w["namespace"], "name": w["name"], "kind": w["kind"],
                 "replicas": w.get("replicas")}
        if w["kind"] == "DaemonSet":
            entry["frr"] = any(c["name"] == "frr" or _FRR_IMAGE.search(c["image"])
                               for c in w["containers"])
            speakers.append(entry)
        else:
            controllers.append(entry)
    crds = found.get("crds", {})
    foreign = sorted(name for name in OUR_CRDS if name in crds and not is_ours(crds[name]))
    namespaces = sorted(set(w["namespace"] for w in controllers + speakers))
    services = set((ns, svc) for w in found.get("webhooks", []) for ns, svc in w["services"])
    webhooks = sorted(w["name"] for w in found.get("webhooks", [])
                      if _is_metallb_labels(w["labels"])
                      or any(ns in namespaces and "metallb" in svc for ns, svc in w["services"]))
    return {
        "present": bool(controllers or speakers or foreign),
        "namespaces": namespaces,
        "controllers": controllers,
        "speakers": speakers,
        "frr": any(s.get("frr") for s in speakers),
        "foreign_crds": foreign,
        "other_crds": sorted(name for name in METALLB_ONLY_CRDS if name in crds),
        "webhooks": webhooks,
        "webhook_services": sorted("%s/%s" % s for s in services
                                   if s[0] in namespaces and "metallb" in s[1]),
    }


def _describe_metallb(m):
    parts = ["%s %s/%s" % (w["kind"], w["namespace"], w["name"])
             for w in m["controllers"] + m["speakers"]]
    if m["foreign_crds"]:
        parts.append("metallb.io CRDs not installed by this collection: %s"
                     % ", ".join(m["foreign_crds"]))
    return "; ".join(parts)


def _migration_checks(result, metallb, namespace, import_legacy, legacy_configmap):
    if metallb["namespaces"] and metallb["namespaces"] != [namespace]:
        result["blocking"].append(
            "MetalLB runs in namespace %s but exposure_load_balancer.namespace is %s: its "
            "IPAddressPools and advertisements live there, so set exposure_load_balancer."
            "namespace: %s to take them over. Nothing was changed."
            % (", ".join(metallb["namespaces"]), namespace, metallb["namespaces"][0]))
    if legacy_configmap and not import_legacy:
        result["blocking"].append(
            "MetalLB's legacy ConfigMap %s/config exists: set exposure_load_balancer."
            "import_legacy_configmap: true to import its pools before the migration (without "
            "them Services in those pools would lose their IPs), or delete it if it is stale. "
            "Nothing was changed." % namespace)
    if metallb["other_crds"]:
        result["warnings"].append(
            "MetalLB's CRDs %s are not served by this collection; they stay as they are and "
            "can be deleted after the migration" % ", ".join(metallb["other_crds"]))


def _others(found):
    """(implementation, what was found) for every non-MetalLB implementation."""
    seen = []
    workloads = found.get("workloads", []) + found.get("kube_system_pods", [])
    for w in workloads:
        where = "%s %s/%s" % (w["kind"], w["namespace"], w["name"])
        images = [c["image"] for c in w["containers"]]
        if any("kube-vip-cloud-provider" in i for i in images):
            seen.append(("kube-vip", where + " (kube-vip's cloud provider allocates Service IPs)"))
        elif any("kube-vip/kube-vip" in i for i in images) and any(
                (c.get("env") or {}).get("svc_enable", "").lower() == "true"
                for c in w["containers"]):
            seen.append(("kube-vip", where + " (kube-vip with svc_enable=true announces Services)"))
        elif any("purelb" in i for i in images):
            seen.append(("PureLB", where))
        elif any("openelb" in i for i in images):
            seen.append(("OpenELB", where))
        elif w["kind"] == "DaemonSet" and w["namespace"] == "kube-system" and (
                w["name"].startswith("svclb-")
                or "svccontroller.k3s.cattle.io/svcname" in w.get("labels", {})):
            seen.append(("k3s ServiceLB", where))
    for node in found.get("k3s_nodes", []):
        if not _servicelb_disabled(node["node_args"]):
            seen.append(("k3s ServiceLB", "k3s node %s runs without --disable=servicelb"
                         % node["name"]))
    if found.get("cilium_pools"):
        seen.append(("Cilium LB-IPAM", "%d CiliumLoadBalancerIPPool(s)" % found["cilium_pools"]))
    for crd, name in sorted(OTHER_CRDS.items()):
        if crd in found.get("crds", {}) and name != "Cilium LB-IPAM":
            seen.append((name, "CRD %s" % crd))
    # One finding per implementation: the first evidence is enough to name it.
    first = {}
    for name, what in seen:
        first.setdefault(name, what)
    return sorted(first.items())


def _servicelb_disabled(node_args):
    try:
        args = json.loads(node_args) if node_args else []
    except ValueError:
        return False
    for n, arg in enumerate(args):
        value = None
        if isinstance(arg, str) and arg.startswith("--disable="):
            value = arg.split("=", 1)[1]
        elif arg == "--disable" and n + 1 < len(args):
            value = args[n + 1]
        if value and "servicelb" in [v.strip() for v in str(value).split(",")]:
            return True
    return False


def is_ours(crd):
    labels = crd.get("labels") or {}
    return labels.get(PART_OF) == OUR_PART_OF or labels.get(MANAGED_BY) == MANAGER


def _is_metallb(w):
    return _is_metallb_labels(w.get("labels", {})) or any(
        _METALLB_IMAGE.search(c["image"]) for c in w["containers"])


def _is_metallb_labels(labels):
    return labels.get("app") == "metallb" or labels.get("app.kubernetes.io/name") == "metallb"


def _labels(obj):
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _annotations(obj):
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _established(crd):
    for condition in (crd.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Established":
            return condition.get("status") == "True"
    return False


def _count(api, group, kind, crd):
    """How many objects of a foreign CRD exist (0 without the CRD)."""
    if not crd or not crd["versions"]:
        return 0
    return len(api.list("%s/%s" % (group, crd["versions"][0]), kind))


def _workload(obj, kind):
    """A Deployment, DaemonSet or Pod reduced to what the rules look at."""
    metadata = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    containers = []
    for c in pod.get("containers") or []:
        env = dict((e.get("name"), e.get("value")) for e in c.get("env") or []
                   if e.get("value") is not None)
        containers.append({"name": c.get("name", ""), "image": c.get("image", ""), "env": env})
    return {"kind": kind, "namespace": metadata.get("namespace", ""),
            "name": metadata.get("name", ""), "labels": dict(metadata.get("labels") or {}),
            "replicas": spec.get("replicas"), "containers": containers}


def _webhook_services(obj):
    services = []
    for hook in obj.get("webhooks") or []:
        service = (hook.get("clientConfig") or {}).get("service") or {}
        if service.get("name"):
            services.append((service.get("namespace", ""), service["name"]))
    return services


def _managed(obj, api_version, kind):
    metadata = obj.get("metadata") or {}
    return {"apiVersion": api_version, "kind": kind, "name": metadata.get("name"),
            "namespace": metadata.get("namespace"),
            "managers": sorted(set(e.get("manager") for e in metadata.get("managedFields") or []
                                   if e.get("manager")))}
