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
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router as R

TITLES = {
    1: "external IP from the right pool",
    2: "IP advertised (ARP/NDP or BGP)",
    3: "node receives the traffic (TCP)",
    4: "ready endpoints",
    5: "application answers (HTTP)",
}
NAMES = {1: "allocation", 2: "advertisement", 3: "node", 4: "endpoints", 5: "application"}
DEFAULT_COMPONENTS = {"controller": "baremetal-lb-controller", "speaker": "baremetal-lb-speaker",
                      "speaker_container": "speaker",
                      "speaker_selector": "app.kubernetes.io/component=speaker"}


def _step(number, status, detail, hints=None, cause=None):
    return {"step": number, "name": NAMES[number], "title": TITLES[number], "status": status,
            "detail": detail, "hints": list(hints or []), "cause": cause}


class Context:
    """The collected facts, read once into what the steps need."""

    def __init__(self, facts):
        self.facts = facts
        self.svc = facts.get("service")
        self.plan = facts.get("plan") or {}
        self.site = self.plan.get("site", "?")
        target = facts.get("target") or {}
        self.namespace = target.get("namespace") or F._get(self.svc, "metadata", "namespace")
        self.name = target.get("name") or F._get(self.svc, "metadata", "name")
        self.key = "%s/%s" % (self.namespace, self.name)
        self.expected_pool = target.get("pool")
        self.http = target.get("http") or None
        lb = self.plan.get("load_balancer") or {}
        self.lb_namespace = lb.get("namespace") or "metallb-system"
        self.lb_class = lb.get("load_balancer_class")
        self.components = dict(DEFAULT_COMPONENTS, **(facts.get("components") or {}))
        self.pools = self.plan.get("pools") or []
        self.nodes = F.node_table(self.plan.get("nodes"), facts.get("nodes"))
        self.ips = F.ingress_ips(self.svc) if self.svc else []
        self.endpoints = F.endpoints(facts.get("endpoint_slices"))
        self.owner = F.l2_owner(facts.get("l2_statuses"), self.svc) if self.svc else None
        self.local = F._get(self.svc, "spec", "externalTrafficPolicy") == "Local"
        self.answers, self.skipped, self.connects, self.gets, self.probed_from = {}, {}, [], [], {}
        for result in facts.get("reach") or []:
            for address, macs in (result.get("answers") or {}).items():
                self.answers[address] = [m.lower() for m in macs]
                self.probed_from[address] = result.get("host")
            self.skipped.update(result.get("skipped") or {})
            for item in result.get("connects") or []:
                self.connects.append(dict(item, host=result.get("host")))
            for item in result.get("http") or []:
                self.gets.append(dict(item, host=result.get("host")))
        self.routes = dict((str(F.ip(item["address"]) or item["address"]),
                            dict(item, parsed=_parse_route(item)))
                           for item in facts.get("routes") or [])
        self.sessions = {}
        for item in facts.get("bgp_sessions") or []:
            try:
                self.sessions[item.get("router")] = R.sessions(item.get("output"))
            except R.RouterOutputError as exc:
                self.sessions[item.get("router")] = {"error": str(exc)}

    def pool(self, address):
        return F.pool_of(address, self.pools)

    def node(self, name):
        return next((n for n in self.nodes if n["name"] == name or n["host"] == name), None)

    def node_of_mac(self, mac):
        for node in self.nodes:
            if any(mac in self.answers.get(a, []) for a in node["addresses"]):
                return node
        return None

    def node_of_address(self, address):
        return next((n for n in self.nodes if str(address) in n["addresses"]), None)

    def kubectl_ns(self):
        return "kubectl -n %s" % self.namespace


def _parse_route(item):
    try:
        return R.route(item.get("output"), item["address"])
    except R.RouterOutputError as exc:
        return {"error": str(exc)}


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


# -- step 2: advertisement ---------------------------------------------------------------------------

def step_advertisement(ctx):
    results = []
    for address in ctx.ips:
        pool = ctx.pool(address) or {}
        if pool.get("announce") == "bgp":
            results.append(_bgp_advertised(ctx, address))
        else:
            results.append(_l2_advertised(ctx, address))
    return _merge(2, results)


def _merge(number, results):
    """Several VIPs: the worst status wins; details and hints of that status are kept."""
    for status in ("failed", "ok", "skipped"):
        chosen = [r for r in results if r["status"] == status]
        if chosen:
            hints = []
            for r in chosen:
                hints.extend(h for h in r["hints"] if h not in hints)
            return _step(number, status, "; ".join(r["detail"] for r in chosen), hints,
                         chosen[0].get("cause"))
    return _step(number, "skipped", "nothing to check")


def _speaker_hints(ctx, node):
    lb, c = ctx.lb_namespace, ctx.components
    hints = []
    pods = ctx.facts.get("speakers")
    if pods is not None and node:
        mine = [p for p in pods if F._get(p, "spec", "nodeName") == node]
        if not mine:
            hints.append("no speaker pod runs on node %s (%d in the cluster): kubectl -n %s get "
                         "daemonset %s (nodeSelector, tolerations)" % (node, len(pods), lb, c["speaker"]))
        elif not any(_pod_ready(p) for p in mine):
            hints.append("the speaker pod %s on node %s is not Ready"
                         % (F._get(mine[0], "metadata", "name"), node))
    hints.append("%s kubectl -n %s get pods -l %s -o wide" % (
        ("is the speaker on node %s running?" % node) if node else "are the speakers running?",
        lb, c["speaker_selector"]))
    hints.append("kubectl -n %s logs ds/%s -c %s" % (lb, c["speaker"], c["speaker_container"]))
    return hints


def _pod_ready(pod):
    for condition in F._get(pod, "status", "conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def _l2_advertised(ctx, address):
    if address in ctx.skipped:
        return _step(2, "skipped", "%s not resolved: %s" % (address, ctx.skipped[address]))
    if address not in ctx.answers:
        return _step(2, "skipped", "%s: no LAN host checked ARP/NDP (exposure_verify.client_host)" % address)
    proto = "NDP" if ":" in address else "ARP"
    where = ctx.probed_from.get(address) or "the LAN"
    macs = ctx.answers[address]
    owner = ctx.owner["node"] if ctx.owner else None
    owner_node = ctx.node(owner) if owner else None
    owner_macs = _macs_of(ctx, owner_node, address)
    named = ("ServiceL2Status names node %s" % owner) if owner else "no ServiceL2Status names a node"
    if not macs:
        detail = "no %s answer for %s from %s (%s)" % (proto, address, where, named)
        hints = _speaker_hints(ctx, owner) + ["is node %s's LAN link up?" % (owner or "?")]
        silent = _silent_nodes(ctx, address)
        cause = "silent"
        if owner_node is not None and owner_node["name"] in silent:
            cause = "node_unreachable"
        elif owner is None and silent and len(silent) == len([n for n in ctx.nodes if _probed(ctx, n, address)]):
            cause = "node_unreachable"
        return _step(2, "failed", detail, hints, cause=cause)
    if len(macs) > 1:
        who = ", ".join("%s (%s)" % (m, _who(ctx, m)) for m in macs)
        return _step(2, "failed", "several MACs answer %s for %s: %s" % (proto, address, who), [
            "nodes answering too: kube-proxy in IPVS mode without strictARP (exposure_kube_proxy), "
            "or UDP 7473 (speaker heartbeats) blocked between nodes",
            "a MAC outside the cluster: another host uses the address (address conflict)"], cause="many_macs")
    mac = macs[0]
    if owner_macs and mac not in owner_macs:
        return _step(2, "failed", "%s for %s is answered by %s (%s), but %s (%s)" % (
            proto, address, mac, _who(ctx, mac), named, ", ".join(owner_macs)), [
            "right after a failover the status may lag: run the check again",
            "kubectl -n %s get servicel2statuses %s -o yaml" % (ctx.namespace, ctx.name)], cause="wrong_mac")
    node = ctx.node_of_mac(mac)
    if node is None and ctx.nodes and _any_probed(ctx, address):
        return _step(2, "failed", "%s for %s is answered by %s, which is no node of site %s"
                     % (proto, address, mac, ctx.site),
                     ["another host uses the address: find MAC %s (switch MAC table, the "
                      "router's neighbour table) and free the address" % mac], cause="foreign_mac")
    return _step(2, "ok", "%s resolves to %s (node %s%s)" % (
        address, mac, node["name"] if node else owner or "?",
        ", as its ServiceL2Status says" if owner_macs else ""))


def _macs_of(ctx, node, address):
    if node is None:
        return []
    version = 6 if ":" in address else 4
    macs = []
    for own in node["addresses"]:
        if (6 if ":" in own else 4) == version:
            macs.extend(m for m in ctx.answers.get(own, []) if m not in macs)
    return macs


def _probed(ctx, node, address):
    version = 6 if ":" in address else 4
    return any(a in ctx.answers for a in node["addresses"] if (6 if ":" in a else 4) == version)


def _any_probed(ctx, address):
    return any(_probed(ctx, n, address) for n in ctx.nodes)


def _silent_nodes(ctx, address):
    """Names of the nodes probed for their own address (same family) that did not answer."""
    version = 6 if ":" in address else 4
    silent = []
    for node in ctx.nodes:
        own = [a for a in node["addresses"] if (6 if ":" in a else 4) == version and a in ctx.answers]
        if own and not any(ctx.answers[a] for a in own):
            silent.append(node["name"])
    return silent


def _who(ctx, mac):
    node = ctx.node_of_mac(mac)
    return ("node %s" % node["name"]) if node else "not a node of the site"


def _bgp_advertised(ctx, address):
    route = (ctx.routes.get(address) or {}).get("parsed")
    router = (ctx.routes.get(address) or {}).get("router")
    if route is None:
        return _step(2, "skipped", "%s: the router's routes were not read (no router in the plan)" % address)
    if "error" in route:
        return _step(2, "failed", "router %s: %s" % (router, route["error"]),
                     ["is FRR running on %s? vtysh -c 'show bgp summary'" % router], cause="router")
    hints = _session_hints(ctx, router)
    if not route["present"]:
        return _step(2, "failed", "router %s has no route to %s" % (router, R.host_prefix(address)),
                     hints + _speaker_hints(ctx, None), cause="no_route")
    if not route["installed"]:
        return _step(2, "failed", "router %s has a %s route to %s but it is not installed (FIB)"
                     % (router, route["protocol"], R.host_prefix(address)), hints, cause="not_installed")
    strangers = [h for h in route["next_hops"] if ctx.node_of_address(h) is None]
    if strangers:
        return _step(2, "failed", "router %s routes %s via %s, which %s no node of site %s" % (
            router, R.host_prefix(address), ", ".join(strangers), "is" if len(strangers) == 1 else "are",
            ctx.site), hints, cause="foreign_next_hop")
    names = [ctx.node_of_address(h)["name"] for h in route["next_hops"]]
    expected = _bgp_expected(ctx)
    missing = [n for n in expected if n not in names]
    detail = "router %s routes %s via %s" % (router, R.host_prefix(address),
                                             ", ".join("%s (%s)" % p for p in zip(route["next_hops"], names)))
    if missing:
        detail += "; not via %s (eligible: fewer paths, no failure)" % ", ".join(missing)
    return _step(2, "ok", detail)


def _bgp_expected(ctx):
    """Nodes that should be next hops: Ready, not excluded; with externalTrafficPolicy Local only
    those with a ready local endpoint."""
    nodes = [n for n in ctx.nodes if n["ready"] and not n["excluded"]]
    if ctx.local:
        nodes = [n for n in nodes if n["name"] in ctx.endpoints["ready_nodes"]]
    return [n["name"] for n in nodes]


def _session_hints(ctx, router):
    peers = ctx.sessions.get(router)
    if not peers:
        return ["vtysh -c 'show bgp summary' on %s" % router]
    if "error" in peers:
        return [peers["error"]]
    states = []
    for address, peer in sorted(peers.items()):
        node = ctx.node_of_address(address)
        states.append("%s%s %s (%d prefixes)" % (address, " (%s)" % node["name"] if node else "",
                                                 peer["state"], peer["prefixes"]))
    return ["BGP sessions on %s: %s" % (router, "; ".join(states))]


# -- step 3: the node receives the traffic ----------------------------------------------------------

def step_node(ctx, advertised):
    if advertised.get("cause") == "node_unreachable":
        owner = ctx.owner["node"] if ctx.owner else None
        silent = _silent_all(ctx)
        who = ("node %s" % owner) if owner else "no node of the site (%s)" % ", ".join(silent)
        return _step(3, "failed", "%s does not answer ARP/NDP for its own address either: it is "
                     "cut off from the LAN" % who,
                     ["is the LAN link of %s up? ip link on the node; the switch port" % (owner or "the nodes"),
                      "kubectl get nodes (NotReady follows within the node monitor grace period)"],
                     cause="node_unreachable")
    if not ctx.connects:
        return _step(3, "skipped", "no TCP connection was tried (no LAN host, or no TCP port)")
    failed = [c for c in ctx.connects if not c.get("ok")]
    if not failed:
        return _step(3, "ok", "TCP %s open from %s" % (
            ", ".join("%s:%s" % (_host(c["address"]), c["port"]) for c in ctx.connects),
            ", ".join(sorted(set(str(c["host"]) for c in ctx.connects)))))
    first = failed[0]
    target = "%s:%s" % (_host(first["address"]), first["port"])
    explain = {
        "refused": "the node answered with a reset: nothing accepts port %s there (kube-proxy has "
                   "no rule for it, or the Service has no endpoint)" % first["port"],
        "timeout": "no answer: a firewall on the node or on the way drops it, or kube-proxy has "
                   "not programmed the VIP",
        "unreachable": "the LAN host could not resolve the VIP (no ARP/NDP answer)",
        "no route": "the LAN host has no route to the VIP",
    }.get(first["error"], first.get("detail") or "failed")
    node = (ctx.owner or {}).get("node") or "the announcing node"
    return _step(3, "failed", "TCP to %s from %s: %s (%s)" % (target, first["host"], first["error"], explain), [
        "kube-proxy on %s: kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide" % node,
        "the node's firewall (nft list ruleset / iptables-save) for %s" % target],
        cause=first["error"])


def _silent_all(ctx):
    silent = []
    for address in ctx.ips:
        silent.extend(n for n in _silent_nodes(ctx, address) if n not in silent)
    return silent


def _host(address):
    return "[%s]" % address if ":" in str(address) else str(address)


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


def _result(ctx, steps, broken):
    prefix = "site %s, Service %s" % (ctx.site, ctx.key)
    if broken is None:
        skipped = [s for s in steps if s["status"] == "skipped"]
        message = "%s: reachable: %s" % (prefix, "; ".join(s["detail"] for s in steps if s["status"] == "ok"))
        if skipped:
            message += " (not checked: %s)" % ", ".join("step %d %s" % (s["step"], s["name"]) for s in skipped)
        return {"service": ctx.key, "site": ctx.site, "ok": True, "broken_step": None, "broken": None,
                "message": message, "hints": [], "steps": steps, "vips": ctx.ips}
    message = "%s: the path breaks at step %d (%s): %s" % (prefix, broken["step"], broken["title"],
                                                          broken["detail"])
    if broken["hints"]:
        message += ". Look at: " + "; ".join(broken["hints"])
    return {"service": ctx.key, "site": ctx.site, "ok": False, "broken_step": broken["step"],
            "broken": broken["name"], "message": message, "hints": broken["hints"], "steps": steps,
            "vips": ctx.ips}
