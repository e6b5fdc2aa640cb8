#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kube_proxy
short_description: Set kube-proxy's ipvs.strictARP when, and only when, it runs in IPVS mode
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Reads kube-proxy's ConfigMap (kubeadm's layout, C(data["config.conf"]) holding a
    C(KubeProxyConfiguration)) and works out the situation - IPVS, iptables or nftables mode,
    no ConfigMap (k3s, k0s, RKE2, kube-proxy replaced by Cilium and the like), another layout.
  - Only in IPVS mode does it set C(ipvs.strictARP) to V(true), so that no node answers ARP
    for the load balancer's addresses but the one the speaker chose. The line is edited in
    place (quoting, key order, nulls and comments are kept); the edit is checked to change
    nothing else, and the file is rewritten whole (same keys and values) only when it cannot
    be edited in place.
  - The ConfigMap is written with the resourceVersion it was read at, so an edit made
    meanwhile is never lost; on a conflict the module reads it again and decides once more.
  - kube-proxy never re-reads its file, so the change is followed by a rollout of the
    kube-proxy DaemonSet (the pod template annotation C(baremetal.exposure/kube-proxy-config),
    server-side applied with O(field_manager)) and a wait until every pod is updated and
    available. A run interrupted between the write and the rollout rolls out on the next run.
  - In any other situation it changes nothing and says why in RV(msg). IPVS mode itself is
    deprecated upstream; the module warns about it.
  - Authentication is kubernetes.core's (same options, same C(K8S_AUTH_*) environment
    variables). Needs the C(kubernetes) Python library.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - baremetal.exposure._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads only; reports the change and the rollout it would make.
  diff_mode:
    support: full
    details:
      - C(config.conf) before and after.
options:
  namespace:
    description: Namespace of kube-proxy's ConfigMap and DaemonSet.
    type: str
    default: kube-system
  configmap:
    description: Name of kube-proxy's ConfigMap.
    type: str
    default: kube-proxy
  daemonset:
    description: Name of kube-proxy's DaemonSet.
    type: str
    default: kube-proxy
  manage:
    description:
      - V(false) only reports the situation (RV(would_change) says whether strictARP is
        missing) and changes nothing.
    type: bool
    default: true
  rollout:
    description: Roll the DaemonSet out after a change (V(false) leaves the restart to you).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 300
  field_manager:
    description: Server-side apply field manager of the writes.
    type: str
    default: baremetal.exposure
requirements:
  - kubernetes (Python library)
notes:
  - Clusters whose kube-proxy runs in IPVS mode but is configured elsewhere (k3s, RKE2 flags)
    need C(--ipvs-strict-arp) set there; the module says so.
"""

EXAMPLES = r"""
- name: Make kube-proxy ready for a layer-2 load balancer
  baremetal.exposure.kube_proxy:
    kubeconfig: /etc/kubernetes/admin.conf
  register: kube_proxy

- name: Only report
  baremetal.exposure.kube_proxy:
    manage: false
  check_mode: true
"""

RETURN = r"""
situation:
  description:
    - V(ipvs), V(iptables), V(nftables), V(other) (another mode), V(no_configmap),
      V(no_config_key) (the ConfigMap has no C(config.conf)) or V(unreadable) (not a
      KubeProxyConfiguration).
  returned: always
  type: str
  sample: ipvs
mode:
  description: The mode kube-proxy runs in (its default, iptables, when C(mode) is empty).
  returned: always
  type: str
strict_arp:
  description: Whether C(ipvs.strictARP) was already true.
  returned: always
  type: bool
would_change:
  description: Whether strictARP needs setting (also with O(manage=false) or in check mode).
  returned: always
  type: bool
rolled_out:
  description: Whether the DaemonSet was (or in check mode would be) rolled out.
  returned: always
  type: bool
msg:
  description: What the module found and did, in one sentence.
  returned: always
  type: str
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeApi, KubeError
from ansible_collections.baremetal.exposure.plugins.module_utils._kube.proxy import (
    KubeProxy,
    ProxyError,
)


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        namespace=dict(type="str", default="kube-system"),
        configmap=dict(type="str", default="kube-proxy"),
        daemonset=dict(type="str", default="kube-proxy"),
        manage=dict(type="bool", default=True),
        rollout=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        field_manager=dict(type="str", default="baremetal.exposure"),
    )
    return spec


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    try:
        api = KubeApi(get_api_client(module=module))
        result = KubeProxy(api, p["namespace"], p["configmap"], p["daemonset"],
                           p["field_manager"], manage=p["manage"], check_mode=module.check_mode,
                           rollout=p["rollout"], wait_timeout=p["wait_timeout"]).run()
    except (ProxyError, KubeError, CoreException) as exc:
        module.fail_json(msg="kube_proxy: %s" % exc)
    for warning in result.pop("warnings"):
        module.warn(warning)
    before, after = result.pop("before"), result.pop("after")
    if module._diff and result["would_change"] and p["manage"]:
        header = "%s/%s config.conf" % (p["namespace"], p["configmap"])
        result["diff"] = {"before": before, "after": after,
                          "before_header": header, "after_header": header}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
