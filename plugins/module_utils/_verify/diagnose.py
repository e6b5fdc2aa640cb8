# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One LoadBalancer Service checked from outside inward: which step of the path is broken and
what to look at. Facts in, diagnosis out, no I/O (docs/verify.md).

PRIVATE to this collection: no compatibility promise outside it.

The steps, in the order operators debug them:

1. allocation: the Service has an external IP from the right pool of the plan;
2. advertisement: from a LAN host the IP resolves (ARP/NDP) to the MAC of the node the
   speaker's ServiceL2Status names, or the router holds the route with node next hops (BGP);
3. the node receives the traffic: a TCP connection to the VIP opens;
4. the Service has ready endpoints;
5. the application answers: GET through the VIP returns the expected status and body.

Every step is evaluated from the facts collected (a step whose facts were not collected is
"skipped"); the broken step is the first failed one, except where an inner cause explains an
outer symptom: the speaker announces no IP without a ready endpoint behind it (MetalLB's rule
too), so a silent VIP or a refused connection with no ready endpoint is step 4; a VIP whose
announcing node does not answer ARP/NDP for its own address either is step 3 (the node is
cut off from the LAN, whatever its speaker does).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as F
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.context import Context
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.context import step as _step
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.network import (
    step_advertisement,
    step_node,
)

# -- step 1: allocation ----------------------------------------------------------------------------


def step_allocation(ctx):
    lb = ctx.lb_namespace
    if ctx.svc is None:
        return _step(1, "failed", "Service %s does not exist" % ctx.key,
                     ["kubectl get services -A | grep %s" % ctx.name])
    kind = F._get(ctx.svc, "spec", "type")
    if kind != "LoadBalancer":
        return _step(1, "failed", "Service %s is of type %s, not LoadBalancer" % (ctx.key, kind),
                     ["set spec.type: LoadBalancer"])
    svc_class = F._get(ctx.svc, "spec", "loadBalancerClass")
    if svc_class and svc_class != ctx.lb_class:
        return _step(1, "failed", "Service %s asks for loadBalancerClass %s; this site's load "
                     "balancer serves %s" % (ctx.key, svc_class, ctx.lb_class or "Services without a class"),
                     ["remove spec.loadBalancerClass or set exposure_load_balancer.load_balancer_class"])
    wanted_pool = ctx.expected_pool or F.annotations(ctx.svc).get(F.POOL_ANNOTATION)
    if not ctx.ips:
        return _step(1, "failed", "Service %s has no external IP (EXTERNAL-IP <pending>)" % ctx.key,
                     _pending_hints(ctx, wanted_pool, lb), cause="pending")
    problems, pools = [], []
    for address in ctx.ips:
        pool = ctx.pool(address)
        if pool is None:
            problems.append("%s lies in no pool of site %s (pools: %s)" % (
                address, ctx.site, ", ".join(p["name"] for p in ctx.pools) or "none"))
            continue
        pools.append(pool["name"])
        if wanted_pool and pool["name"] != wanted_pool:
            problems.append("%s is from pool %s, expected pool %s" % (address, pool["name"], wanted_pool))
    recorded = F.annotations(ctx.svc).get(F.ALLOCATED_FROM_ANNOTATION)
    if recorded and pools and recorded not in pools:
        problems.append("its %s annotation says %s, but the IP lies in pool %s of the plan"
                        % (F.ALLOCATED_FROM_ANNOTATION, recorded, ", ".join(pools)))
    if problems:
        return _step(1, "failed", "Service %s: %s" % (ctx.key, "; ".join(problems)), [
            "an address outside the plan was set by another load balancer or by hand: "
            "kubectl -n %s get service %s -o yaml (status.loadBalancer)" % (ctx.namespace, ctx.name),
            "kubectl -n %s get ipaddresspools" % lb], cause="wrong_pool")
    return _step(1, "ok", "%s from pool %s" % (", ".join(ctx.ips), ", ".join(sorted(set(pools)))))


def _pending_hints(ctx, wanted_pool, lb):
    hints = list(F.warnings_of(ctx.facts.get("events")))
    names = [p["name"] for p in ctx.pools]
    for address in F.requested_ips(ctx.svc):
        if F.ip(address) is None:
            hints.append("it requests %r, which is not an IP address" % address)
        elif ctx.pool(address) is None:
            hints.append("it requests %s, which lies in no pool of site %s (%s): change the "
                         "request or add the address to a pool" % (address, ctx.site, ", ".join(names)))
    if wanted_pool and wanted_pool not in names:
        hints.append("it asks for pool %s (%s), which site %s does not have (%s)"
                     % (wanted_pool, F.POOL_ANNOTATION, ctx.site, ", ".join(names)))
    for obj in ctx.facts.get("pool_objects") or []:
        usage = F.pool_usage(obj)
        if usage is not None and usage["free"] == 0:
            hints.append("pool %s is full (%d used, 0 free)" % (F._get(obj, "metadata", "name"), usage["used"]))
    controller = ctx.facts.get("controller")
    if controller is not None:
        ready = int(F._get(controller, "status", "readyReplicas") or 0)
        if ready == 0:
            hints.append("the controller has no ready replica: kubectl -n %s get deploy %s"
                         % (lb, ctx.components["controller"]))
    hints.append("kubectl -n %s describe service %s (events)" % (ctx.namespace, ctx.name))
    hints.append("kubectl -n %s logs deploy/%s" % (lb, ctx.components["controller"]))
    return hints


# -- step 4: endpoints -----------------------------------------------------------------------------------


def step_endpoints(ctx):
    ep = ctx.endpoints
    selector = F._get(ctx.svc, "spec", "selector") or {}
    sel_text = ",".join("%s=%s" % kv for kv in sorted(selector.items()))
    hints = ["%s get pods -l %s -o wide" % (ctx.kubectl_ns(), sel_text) if sel_text else
             "the Service has no selector: who writes its EndpointSlices?",
             "%s get endpointslices -l kubernetes.io/service-name=%s" % (ctx.kubectl_ns(), ctx.name)]
    if ep["ready"] == 0:
        if not selector and not ctx.facts.get("endpoint_slices"):
            detail = "Service %s has no selector and no EndpointSlices" % ctx.key
        elif ep["not_ready"]:
            detail = "Service %s has no ready endpoint (%d not ready%s)" % (
                ctx.key, ep["not_ready"], (", selector %s" % sel_text) if sel_text else "")
        else:
            detail = "Service %s has no endpoint (%s)" % (
                ctx.key, ("selector %s matches no running pod" % sel_text) if sel_text else "no EndpointSlice")
        return _step(4, "failed", detail, hints + ["readiness probes, crash loops: %s describe pods -l %s"
                                                   % (ctx.kubectl_ns(), sel_text or "...")], cause="none_ready")
    owner = (ctx.owner or {}).get("node")
    l2 = any((ctx.pool(a) or {}).get("announce") != "bgp" for a in ctx.ips)
    if ctx.local and l2 and owner and owner not in ep["ready_nodes"]:
        return _step(4, "failed", "externalTrafficPolicy Local: node %s announces the IP but has no "
                     "ready endpoint (ready on %s)" % (owner, ", ".join(ep["ready_nodes"]) or "no node"),
                     hints, cause="not_local")
    return _step(4, "ok", "%d ready endpoint(s)%s" % (
        ep["ready"], (" on %s" % ", ".join(ep["ready_nodes"])) if ep["ready_nodes"] else ""))


# -- step 5: the application --------------------------------------------------------------------------


def step_application(ctx):
    if not ctx.http:
        return _step(5, "skipped", "no HTTP check for this Service (no HTTP port, or none asked)")
    if not ctx.gets:
        return _step(5, "skipped", "no HTTP request was made (no LAN host)")
    want_status, want_body = ctx.http.get("expect_status"), ctx.http.get("expect_body")
    for get in ctx.gets:
        problem = None
        if get.get("error"):
            problem = "%s (%s)" % (get["error"], get.get("detail"))
        elif want_status is not None and int(get["status"]) != int(want_status):
            problem = "status %s, expected %s" % (get["status"], want_status)
        elif want_body and want_body not in (get.get("body") or ""):
            problem = "status %s but the body lacks %r (it starts %r)" % (
                get["status"], want_body, (get.get("body") or "")[:80])
        if problem:
            host = ctx.http.get("host")
            return _step(5, "failed", "GET %s%s from %s: %s" % (
                get["url"], (" (Host: %s)" % host) if host else "", get["host"], problem), [
                "%s logs -l %s" % (ctx.kubectl_ns(), ",".join(
                    "%s=%s" % kv for kv in sorted((F._get(ctx.svc, "spec", "selector") or {}).items())) or "..."),
                "for an ingress: its Ingress / HTTPRoute rules for this host and path"], cause="http")
    return _step(5, "ok", "GET %s: %s" % (", ".join(g["url"] for g in ctx.gets),
                                          ", ".join(sorted(set(str(g["status"]) for g in ctx.gets)))))


# -- the decision ------------------------------------------------------------------------------------------

EXPLAINED_BY_ENDPOINTS = ("silent", "no_route", "refused", "timeout", "unreachable")


def diagnose(facts):
    """Facts (see the module lb_diagnose) -> ``{service, site, ok, broken_step, broken, message,
    hints, steps, vips}``."""
    ctx = Context(facts)
    first = step_allocation(ctx)
    if first["status"] == "failed":
        steps = [first] + [_step(n, "skipped", "not checked: no external IP") for n in (2, 3, 4, 5)]
        return _result(ctx, steps, first)
    advertised = step_advertisement(ctx)
    node = step_node(ctx, advertised)
    ready = step_endpoints(ctx)
    app = step_application(ctx)
    steps = [first, advertised, node, ready, app]
    broken = next((s for s in steps if s["status"] == "failed"), None)
    if broken is not None and broken["step"] in (2, 3):
        if node["cause"] == "node_unreachable":
            broken = node
        elif ready["status"] == "failed" and broken["cause"] in EXPLAINED_BY_ENDPOINTS:
            consequence = ("so the speaker does not announce the IP" if broken["step"] == 2
                           else "so the node rejects or drops the connection")
            broken = dict(ready, detail="%s; %s (%s)" % (ready["detail"], consequence, broken["detail"]))
    return _result(ctx, steps, broken)


def _lines(steps, broken):
    """One line per step, the way diagnose.yml prints them."""
    lines = []
    for step in steps:
        mark = "BROKEN" if broken is not None and step["step"] == broken["step"] else step["status"]
        lines.append("%d. %s: %s - %s" % (step["step"], step["title"], mark, step["detail"]))
    return lines


def _result(ctx, steps, broken):
    prefix = "site %s, Service %s" % (ctx.site, ctx.key)
    if broken is None:
        skipped = [s for s in steps if s["status"] == "skipped"]
        message = "%s: reachable: %s" % (prefix, "; ".join(s["detail"] for s in steps if s["status"] == "ok"))
        if skipped:
            message += " (not checked: %s)" % ", ".join("step %d %s" % (s["step"], s["name"]) for s in skipped)
        return {"service": ctx.key, "site": ctx.site, "ok": True, "broken_step": None, "broken": None,
                "message": message, "hints": [], "steps": steps, "vips": ctx.ips,
                "lines": _lines(steps, None)}
    message = "%s: the path breaks at step %d (%s): %s" % (
        prefix, broken["step"], broken["title"], broken["detail"])
    if broken["hints"]:
        message += ". Look at: " + "; ".join(broken["hints"])
    return {"service": ctx.key, "site": ctx.site, "ok": False, "broken_step": broken["step"],
            "broken": broken["name"], "message": message, "hints": broken["hints"], "steps": steps,
            "vips": ctx.ips, "lines": _lines(steps, broken)}
