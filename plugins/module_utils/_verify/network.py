# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Steps 2 and 3 of the diagnosis: is the VIP advertised (ARP/NDP answered by the announcing
node's MAC, or the router's route via the site's nodes), and does the node receive the traffic.

PRIVATE to this collection: no compatibility promise outside it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as F
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router as R
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.context import host as _host
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.context import step as _step

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
    if address in ctx.unresolved:
        return _step(2, "skipped", "%s not resolved: %s" % (address, ctx.unresolved[address]))
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
