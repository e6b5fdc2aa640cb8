"""Import MetalLB's legacy configuration (the `config` ConfigMap used before v0.13) as metallb.io
objects: IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer (v1beta2), Community and
BFDProfile.

The output is deterministic, so it can be reviewed, diffed and applied repeatedly:
- kinds come in dependency order (BFDProfiles, Community, pools, advertisements, peers), each
  kind in the order of the input;
- names derive from the input, not from counters: a pool's L2Advertisement and its (single)
  BGPAdvertisement take the pool's name (several BGP advertisements: <pool>-1, <pool>-2...),
  a peer is peer-<address with dashes>, and all aliases go into one Community "communities".
Defaults are not written out: an omitted hold-time stays omitted, so the CRD defaults apply.
The namespace of the input ConfigMap is ignored; every object goes to `namespace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from baremetal_lb.config import legacy_fields as f
from baremetal_lb.config.errors import ConfigError

_SECTIONS = ("peers", "bgp-communities", "address-pools", "bfd-profiles")
_POOL_KEYS = ("name", "protocol", "addresses", "auto-assign", "avoid-buggy-ips", "bgp-advertisements")
_ADVERTISEMENT_KEYS = ("aggregation-length", "aggregation-length-v6", "localpref", "communities")
_PEER_KEYS = ("peer-address", "peer-asn", "my-asn", "peer-port", "source-address", "hold-time",
              "keepalive-time", "router-id", "node-selectors", "password", "bfd-profile",
              "ebgp-multihop")
# legacy key -> (BFDProfile field, minimum, maximum); the limits are the CRD's.
_BFD_NUMBERS = {"receive-interval": ("receiveInterval", 10, 60000),
                "transmit-interval": ("transmitInterval", 10, 60000),
                "detect-multiplier": ("detectMultiplier", 2, 255),
                "echo-interval": ("echoInterval", 10, 60000),
                "minimum-ttl": ("minimumTtl", 1, 254)}
_BFD_FLAGS = {"echo-mode": "echoMode", "passive-mode": "passiveMode"}
_DEFAULT_HOLD_SECONDS = 90


@dataclass
class _Pool:
    name: str
    protocol: str
    spec: dict[str, Any]
    networks: list[f.Network]
    advertisements: list[dict[str, Any]] = field(default_factory=list)


def import_legacy(text: str, namespace: str = "metallb-system") -> list[dict[str, Any]]:
    """The metallb.io objects equivalent to a legacy config (bare, or a whole ConfigMap)."""
    f.object_name(namespace, "arguments", "namespace")
    config = f.mapping(_config_document(text), "top level", _SECTIONS)
    profiles = [_bfd_profile(i, raw) for i, raw in enumerate(f.items(config.get("bfd-profiles"), "bfd-profiles"))]
    _unique([name for name, _ in profiles], "bfd-profiles", "BFD profile")
    aliases = _aliases(config.get("bgp-communities"))
    pools = [_pool(i, raw, aliases) for i, raw in enumerate(f.items(config.get("address-pools"), "address-pools"))]
    _unique([pool.name for pool in pools], "address-pools", "pool")
    _no_overlaps(pools)
    peers = _peers(config.get("peers"), {name for name, _ in profiles})

    def obj(api_version: str, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": api_version, "kind": kind,
                "metadata": {"name": name, "namespace": namespace}, "spec": spec}

    v1beta1 = "metallb.io/v1beta1"
    objects = [obj(v1beta1, "BFDProfile", name, spec) for name, spec in profiles]
    if aliases:
        objects.append(obj(v1beta1, "Community", "communities", {
            "communities": [{"name": name, "value": value} for name, value in aliases.items()]}))
    objects += [obj(v1beta1, "IPAddressPool", pool.name, pool.spec) for pool in pools]
    objects += [obj(v1beta1, "L2Advertisement", pool.name, {"ipAddressPools": [pool.name]})
                for pool in pools if pool.protocol == "layer2"]
    for pool in pools:
        for number, spec in enumerate(pool.advertisements, start=1):
            name = pool.name if len(pool.advertisements) == 1 else f"{pool.name}-{number}"
            f.object_name(name, f"address-pools ({pool.name})", "BGPAdvertisement name")
            objects.append(obj(v1beta1, "BGPAdvertisement", name, spec))
    objects += [obj("metallb.io/v1beta2", "BGPPeer", name, spec) for name, spec in peers]
    return objects


def _config_document(text: str) -> Any:
    """The legacy config mapping, from bare config text or from a ConfigMap's data.config."""
    try:
        documents = [d for d in yaml.load_all(text, Loader=f.LegacyLoader) if d is not None]
    except yaml.YAMLError as error:
        raise ConfigError(f"legacy MetalLB config: not valid YAML: {error}") from None
    configmaps = [d for d in documents if isinstance(d, Mapping) and d.get("kind") == "ConfigMap"]
    if len(configmaps) > 1:
        raise ConfigError("legacy MetalLB config: the input holds several ConfigMaps; "
                          "pass only MetalLB's (usually metallb-system/config)")
    if configmaps:
        configmap = configmaps[0]
        metadata = configmap.get("metadata") or {}
        where = "ConfigMap " + "/".join(str(metadata[key]) for key in ("namespace", "name") if metadata.get(key))
        inner = (configmap.get("data") or {}).get("config")
        if not isinstance(inner, str):
            raise ConfigError(f"legacy MetalLB config: {where} has no data.config text; MetalLB "
                              "read its configuration from the key 'config'")
        return _config_document(inner)
    if len(documents) > 1:
        raise ConfigError("legacy MetalLB config: expected one config document or one ConfigMap, "
                          f"found {len(documents)} documents")
    document = documents[0] if documents else {}
    if isinstance(document, Mapping) and "kind" in document:
        raise ConfigError(f"legacy MetalLB config: got an object of kind {document['kind']}, "
                          "expected MetalLB's ConfigMap or the text of its data.config")
    return document


def _bfd_profile(index: int, value: Any) -> tuple[str, dict[str, Any]]:
    where = f"bfd-profiles[{index}]"
    raw = f.mapping(value, where, ("name", *_BFD_NUMBERS, *_BFD_FLAGS))
    name = f.object_name(f.text(raw, "name", where, required=True) or "", where, "name")
    where = f"{where} ({name})"
    spec: dict[str, Any] = {}
    for key, (target, low, high) in _BFD_NUMBERS.items():
        number = f.integer(raw, key, where, low, high)
        if number is not None:
            spec[target] = number
    for key, target in _BFD_FLAGS.items():
        setting = f.flag(raw, key, where)
        if setting is not None:
            spec[target] = setting
    return name, spec


def _aliases(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise f.fail("bgp-communities", "expected a mapping alias: value, e.g. no-export: 65535:65281")
    aliases: dict[str, str] = {}
    for name, community in value.items():
        where = f"bgp-communities ({name})"
        if not isinstance(name, str) or not name:
            raise f.fail(where, "an alias must be a non-empty text; quote it")
        aliases[name] = f.community(community, where)
    return aliases


def _pool(index: int, value: Any, aliases: Mapping[str, str]) -> _Pool:
    where = f"address-pools[{index}]"
    raw = f.mapping(value, where, _POOL_KEYS)
    name = f.object_name(f.text(raw, "name", where, required=True) or "", where, "name")
    where = f"{where} ({name})"
    protocol = f.text(raw, "protocol", where, required=True)
    if protocol not in ("layer2", "bgp"):
        raise f.fail(where, f"protocol '{protocol}' must be layer2 or bgp")
    addresses = f.items(raw.get("addresses"), f"{where}.addresses")
    if not addresses:
        raise f.fail(where, "addresses is missing; list the pool's CIDRs or ranges")
    networks: list[f.Network] = []
    for position, spec in enumerate(addresses):
        if not isinstance(spec, str):
            raise f.fail(f"{where}.addresses[{position}]", f"{spec!r} must be text; quote it")
        networks += f.networks(spec, f"{where}.addresses[{position}]")
    pool_spec: dict[str, Any] = {"addresses": list(addresses)}
    for key, target in (("auto-assign", "autoAssign"), ("avoid-buggy-ips", "avoidBuggyIPs")):
        setting = f.flag(raw, key, where)
        if setting is not None:
            pool_spec[target] = setting
    pool = _Pool(name, protocol, pool_spec, networks)
    advertisements = f.items(raw.get("bgp-advertisements"), f"{where}.bgp-advertisements")
    if protocol == "layer2" and advertisements:
        raise f.fail(where, "a layer2 pool cannot have bgp-advertisements; use protocol: bgp or drop them")
    if protocol == "bgp":
        pool.advertisements = [_advertisement(f"{where}.bgp-advertisements[{i}]", raw_ad, pool, aliases)
                               for i, raw_ad in enumerate(advertisements)] or [{"ipAddressPools": [name]}]
    return pool


def _advertisement(where: str, value: Any, pool: _Pool, aliases: Mapping[str, str]) -> dict[str, Any]:
    raw = f.mapping(value, where, _ADVERTISEMENT_KEYS)
    spec: dict[str, Any] = {"ipAddressPools": [pool.name]}
    for key, target, version, width in (("aggregation-length", "aggregationLength", 4, 32),
                                        ("aggregation-length-v6", "aggregationLengthV6", 6, 128)):
        length = f.integer(raw, key, where, 1, width)
        if length is None:
            continue
        for network in pool.networks:
            if network.version == version and length < network.prefixlen:
                raise f.fail(where, f"{key} {length} is shorter than the pool's {network}, whose "
                                    f"addresses would be announced as someone else's; use at least "
                                    f"{network.prefixlen}")
        spec[target] = length
    local_pref = f.integer(raw, "localpref", where, 0, f.UINT32_MAX)
    if local_pref is not None:
        spec["localPref"] = local_pref
    communities = f.items(raw.get("communities"), f"{where}.communities")
    for position, community in enumerate(communities):
        if community not in aliases:
            f.community(community, f"{where}.communities[{position}] (not an alias of bgp-communities)")
    if communities:
        spec["communities"] = list(communities)
    return spec


def _peers(value: Any, profiles: set[str]) -> list[tuple[str, dict[str, Any]]]:
    peers: list[tuple[str, dict[str, Any]]] = []
    for index, raw_peer in enumerate(f.items(value, "peers")):
        spec = _peer_spec(index, raw_peer, profiles)
        for earlier, (_, other) in enumerate(peers):
            if other == spec:
                raise f.fail(f"peers[{index}]", f"repeats peers[{earlier}]; remove one of them")
        name = "peer-" + spec["peerAddress"].replace(".", "-").replace(":", "-").strip("-")
        if any(name == taken for taken, _ in peers):
            name = f"{name}-{index}"
        peers.append((name, spec))
    return peers


def _peer_spec(index: int, value: Any, profiles: set[str]) -> dict[str, Any]:
    where = f"peers[{index}]"
    raw = f.mapping(value, where, _PEER_KEYS)
    address = f.ip(f.text(raw, "peer-address", where, required=True) or "", where, "peer-address")
    where = f"{where} ({address})"
    spec: dict[str, Any] = {
        "myASN": f.integer(raw, "my-asn", where, 1, f.UINT32_MAX, required=True),
        "peerASN": f.integer(raw, "peer-asn", where, 1, f.UINT32_MAX, required=True),
        "peerAddress": address,
    }
    source = f.text(raw, "source-address", where)
    if source is not None:
        spec["sourceAddress"] = f.ip(source, where, "source-address")
    port = f.integer(raw, "peer-port", where, 1, 65535)
    if port is not None:
        spec["peerPort"] = port
    hold = f.seconds(raw, "hold-time", where)
    if hold is not None:
        if hold != 0 and not 3 <= hold <= 65535:
            raise f.fail(where, f"hold-time {raw['hold-time']} must be 0s or between 3s and 65535s")
        spec["holdTime"] = f"{hold}s"
    keepalive = f.seconds(raw, "keepalive-time", where)
    if keepalive is not None:
        limit = _DEFAULT_HOLD_SECONDS if hold is None else hold
        if (keepalive != 0) if limit == 0 else keepalive >= limit:
            raise f.fail(where, f"keepalive-time {raw['keepalive-time']} must be shorter than the "
                                f"hold time ({limit}s), usually a third of it")
        spec["keepaliveTime"] = f"{keepalive}s"
    router_id = f.text(raw, "router-id", where)
    if router_id is not None:
        spec["routerID"] = f.ip(router_id, where, "router-id", version=4)
    selectors = [f.selector(item, f"{where}.node-selectors[{i}]")
                 for i, item in enumerate(f.items(raw.get("node-selectors"), f"{where}.node-selectors"))]
    if selectors:
        spec["nodeSelectors"] = selectors
    password = f.text(raw, "password", where)
    if password is not None:
        spec["password"] = password
    profile = f.text(raw, "bfd-profile", where)
    if profile is not None:
        if profile not in profiles:
            raise f.fail(where, f"bfd-profile '{profile}' is not defined in bfd-profiles; add it or "
                                "remove the reference")
        spec["bfdProfile"] = profile
    multihop = f.flag(raw, "ebgp-multihop", where)
    if multihop is not None:
        spec["ebgpMultiHop"] = multihop
    return spec


def _unique(names: list[str], section: str, what: str) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            raise f.fail(f"{section}[{index}] ({name})", f"a {what} named '{name}' is already defined "
                                                         f"at {section}[{names.index(name)}]; rename one")


def _no_overlaps(pools: list[_Pool]) -> None:
    for index, pool in enumerate(pools):
        for other in pools[:index]:
            for network in pool.networks:
                for taken in other.networks:
                    if network.version == taken.version and network.overlaps(taken):
                        raise f.fail(f"address-pools[{index}] ({pool.name})",
                                     f"{network} overlaps {taken} of pool '{other.name}'; "
                                     "an address can belong to one pool only")
