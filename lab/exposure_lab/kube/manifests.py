"""Objects the lab puts into the cluster: a kubeadm-shaped kube-proxy (and KWOK's paper nodes
for large node counts)."""

from __future__ import annotations

from typing import Any

KWOK_ANNOTATION = "kwok.x-k8s.io/node"
KWOK_SELECTOR = f"{KWOK_ANNOTATION}=fake"

# kubeadm's kube-proxy config.conf, as `kubeadm init` writes it (sorted keys, zero values kept),
# so that anything editing it the way it would edit a real cluster's (strictARP!) works here.
# Lab differences, each needed to run kube-proxy inside a network namespace on this kernel:
# - mode nftables: the kernel has no IPVS (docs/lab.md says what the lab can show of IPVS);
# - conntrack maxPerCore/min 0 and timeouts 0s: conntrack sysctls are read-only outside the
#   initial namespace, and 0 means "leave them";
# - nodePortAddresses [primary] and iptables.localhostNodePorts false: NodePorts on the node's
#   LAN address only, no route_localnet;
# - the cluster CIDR is the lab's pod network (node_files.CLUSTER_CIDR).
KUBE_PROXY_CONFIG = """\
apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 198.19.128.0/17
configSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: 0
  tcpBeLiberal: false
  tcpCloseWaitTimeout: 0s
  tcpEstablishedTimeout: 0s
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: false
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: nftables
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses:
- primary
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
"""

KUBE_PROXY_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: {server}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
"""


def node(name: str, ipv4: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
            "annotations": {
                KWOK_ANNOTATION: "fake",
                "node.alpha.kubernetes.io/ttl": "0",
            },
        },
        "spec": {},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ipv4},
                {"type": "Hostname", "address": name},
            ],
        },
    }


def kube_proxy_configmap(server: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "kube-proxy",
            "namespace": "kube-system",
            "labels": {"app": "kube-proxy"},
        },
        "data": {
            "config.conf": KUBE_PROXY_CONFIG,
            "kubeconfig.conf": KUBE_PROXY_KUBECONFIG.format(server=server),
        },
    }


def kube_proxy_daemonset(image: str, xtables_lock: str) -> dict[str, Any]:
    labels = {"k8s-app": "kube-proxy"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": "kube-proxy",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "command": [
                                "/usr/local/bin/kube-proxy",
                                "--config=/var/lib/kube-proxy/config.conf",
                                "--hostname-override=$(NODE_NAME)",
                            ],
                            "env": [
                                {
                                    "name": "NODE_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                }
                            ],
                            "securityContext": {"privileged": True},
                            "volumeMounts": [
                                {"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                                {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                                {"mountPath": "/lib/modules", "name": "lib-modules",
                                 "readOnly": True},
                            ],
                        }
                    ],
                    "hostNetwork": True,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": "kube-proxy",
                    "tolerations": [{"operator": "Exists"}],
                    "volumes": [
                        {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                        # The lab's own lock file: each node is a network namespace, and
                        # the host's /run/xtables.lock belongs to the host.
                        {"name": "xtables-lock",
                         "hostPath": {"path": xtables_lock, "type": "FileOrCreate"}},
                        {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                    ],
                },
            },
        },
    }


def kube_proxy_rbac() -> list[dict[str, Any]]:
    """The ServiceAccount and the binding kubeadm makes for kube-proxy."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "kubeadm:node-proxier"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "system:node-proxier"},
            "subjects": [{"kind": "ServiceAccount", "name": "kube-proxy",
                          "namespace": "kube-system"}],
        },
    ]
