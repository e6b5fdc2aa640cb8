"""L2Advertisement and BGPAdvertisement objects (metallb.io/v1beta1).

Both select pools (spec.ipAddressPools by name, spec.ipAddressPoolSelectors by label; neither:
every pool) and nodes (spec.nodeSelectors; none: every node). Layer 2 adds the interfaces an IP
may be announced on. BGP adds the peers it reaches (spec.peers; none: every peer of the node),
communities (AA:NN, large:G:L1:L2, or the name of an entry of a Community object), a local
preference (0 means none, as in MetalLB) and aggregation lengths (default 32 / 128).
spec.serviceSelectors is refused for BGP (this speaker cannot honour it) and, as before, not
read for layer 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from baremetal_lb.allocator import LabelSelector
from baremetal_lb.bgp.model import community_key
from baremetal_lb.config.errors import ConfigError, describe, name_of
from baremetal_lb.config.selectors import parse_selectors, selects


@dataclass(frozen=True)
class Selection:
    """Which pools and nodes an advertisement applies to."""
    name: str
    pool_names: frozenset[str] = frozenset()
    pool_selectors: tuple[LabelSelector, ...] = ()
    node_selectors: tuple[LabelSelector, ...] = ()

    def selects_pool(self, name: str, labels: Mapping[str, str]) -> bool:
        if not self.pool_names and not self.pool_selectors:
            return True
        return name in self.pool_names or any(s.matches(labels) for s in self.pool_selectors)

    def selects_node(self, labels: Mapping[str, str]) -> bool:
        return selects(self.node_selectors, labels)


@dataclass(frozen=True)
class L2Advertisement(Selection):
    interfaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class BGPAdvertisement(Selection):
    peers: frozenset[str] = frozenset()         # peer names; empty: every peer of the node
    communities: tuple[str, ...] = ()            # values, aliases resolved, sorted numerically
    local_pref: int | None = None
    aggregation_length: int = 32
    aggregation_length_v6: int = 128

    def length(self, version: int) -> int:
        return self.aggregation_length if version == 4 else self.aggregation_length_v6


def _selection(obj: Mapping[str, Any], here: str) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    names = spec.get("ipAddressPools") or ()
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{here}: spec.ipAddressPools must be a list of pool names")
    return {
        "name": name_of(obj),
        "pool_names": frozenset(names),
        "pool_selectors": parse_selectors(spec.get("ipAddressPoolSelectors"),
                                          f"{here}: spec.ipAddressPoolSelectors"),
        "node_selectors": parse_selectors(spec.get("nodeSelectors"),
                                          f"{here}: spec.nodeSelectors"),
    }


def parse_l2_advertisement(obj: Mapping[str, Any]) -> L2Advertisement:
    here = describe(obj, "L2Advertisement")
    spec = obj.get("spec") or {}
    return L2Advertisement(**_selection(obj, here),
                           interfaces=tuple(str(i) for i in spec.get("interfaces") or ()))


def parse_bgp_advertisement(obj: Mapping[str, Any],
                            aliases: Mapping[str, str]) -> BGPAdvertisement:
    here = describe(obj, "BGPAdvertisement")
    spec = obj.get("spec") or {}
    if spec.get("serviceSelectors"):
        raise ConfigError(f"{here}: spec.serviceSelectors is not supported by this speaker; "
                          "split the pool instead")
    selection = _selection(obj, here)
    values = {_community(c, aliases, here) for c in spec.get("communities") or []}
    lengths = (_integer(spec, "aggregationLength", 32, here),
               _integer(spec, "aggregationLengthV6", 128, here))
    for version, length, top in ((4, lengths[0], 32), (6, lengths[1], 128)):
        if not 0 <= length <= top:
            raise ConfigError(f"{here}: aggregation length {length} for IPv{version} "
                              f"must be 0-{top}")
    return BGPAdvertisement(
        **selection, peers=frozenset(str(p) for p in spec.get("peers") or ()),
        communities=tuple(sorted(values, key=lambda c: (len(community_key(c)),
                                                        community_key(c)))),
        local_pref=_integer(spec, "localPref", 0, here) or None,
        aggregation_length=lengths[0], aggregation_length_v6=lengths[1])


def _integer(spec: Mapping[str, Any], key: str, default: int, here: str) -> int:
    value = spec.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{here}: spec.{key} {value!r} is not a whole number") from None


def _community(text: Any, aliases: Mapping[str, str], here: str) -> str:
    value = aliases.get(str(text), str(text))
    try:
        community_key(value)
    except ValueError as exc:
        raise ConfigError(f"{here}: spec.communities {text!r}: {exc}, nor the name of an entry "
                          "of a Community object") from None
    return value
