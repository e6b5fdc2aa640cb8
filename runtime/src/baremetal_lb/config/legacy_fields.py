"""Readers for the fields of MetalLB's legacy ConfigMap, each failing with a ConfigError that
names where the value sits (``address-pools[1] (web): addresses[0]``) and how to fix it.

Only `legacy.py` uses this module; it is split out so that the importer reads as the mapping
from the old format to the new objects, not as a pile of type checks.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from baremetal_lb.config.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_PREFIX = "legacy MetalLB config"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_STANDARD_COMMUNITY = re.compile(r"^([0-9]{1,5}):([0-9]{1,5})$")
_LARGE_COMMUNITY = re.compile(r"^large:([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10})$")
_DURATION = re.compile(r"^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": Decimal("1e-9"), "us": Decimal("1e-6"), "µs": Decimal("1e-6"),
                 "μs": Decimal("1e-6"), "ms": Decimal("1e-3"), "s": Decimal(1),
                 "m": Decimal(60), "h": Decimal(3600)}
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
UINT32_MAX = 4294967295


def fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"{_PREFIX}: {where}: {problem}")


class LegacyLoader(yaml.SafeLoader):
    """YAML 1.1 without base-60 numbers: MetalLB (Go) read `64512:100` as the text of a BGP
    community, PyYAML's default rules would read it as the integer 3870820."""


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
LegacyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LegacyLoader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
LegacyLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def mapping(value: Any, where: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all among `allowed` (MetalLB parsed the ConfigMap strictly)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(where, f"expected a mapping with keys {', '.join(allowed)}, got {_shown(value)}")
    for key in value:
        if key not in allowed:
            raise fail(where, f"unknown key {_shown(key)}; the legacy format knows {', '.join(allowed)}")
    return value


def items(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(where, f"expected a list, got {_shown(value)}")
    return value


def text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise fail(where, f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise fail(where, f"{key} {_shown(value)} must be text; quote it")
    return value


def integer(raw: Mapping[str, Any], key: str, where: str, low: int, high: int,
            *, required: bool = False) -> int | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise fail(where, f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(where, f"{key} {_shown(value)} must be a whole number from {low} to {high}")
    return value


def flag(raw: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise fail(where, f"{key} {_shown(value)} must be true or false")
    return value


def object_name(value: str, where: str, field: str) -> str:
    if len(value) > 253 or not _NAME.match(value):
        raise fail(where, f"{field} '{value}' is not a valid Kubernetes object name (lower-case "
                          "letters, digits, '-' and '.'); rename it, and the Services that name it")
    return value


def ip(value: str, where: str, field: str, *, version: int | None = None) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise fail(where, f"{field} '{value}' is not an IP address") from None
    if version is not None and address.version != version:
        raise fail(where, f"{field} '{value}' must be an IPv{version} address")
    return str(address)


def networks(spec: str, where: str) -> list[Network]:
    """The CIDRs covered by an address-pools entry: a CIDR or an inclusive range first-last."""
    fix = "write a CIDR (198.51.100.0/24) or a range (198.51.100.10-198.51.100.20)"
    if "-" not in spec:
        if "/" not in spec:
            raise fail(where, f"'{spec}' is a single address, not a CIDR or range; {fix}, "
                              f"e.g. {spec.strip()}/{32 if ':' not in spec else 128}")
        try:
            return [ipaddress.ip_network(spec.strip(), strict=False)]
        except ValueError:
            raise fail(where, f"'{spec}' is not a valid CIDR; {fix}") from None
    first_text, last_text = spec.split("-", 1)
    try:
        first = ipaddress.ip_address(first_text.strip())
        last = ipaddress.ip_address(last_text.strip())
    except ValueError:
        raise fail(where, f"'{spec}' is not a valid range; {fix}") from None
    if first.version != last.version:
        raise fail(where, f"range '{spec}' mixes IPv4 and IPv6; split it in two")
    if int(last) < int(first):
        raise fail(where, f"range '{spec}' ends before it starts; write {last}-{first}")
    return list(ipaddress.summarize_address_range(first, last))


def community(value: Any, where: str) -> str:
    """A community value, standard A:B or large:A:B:C, as text."""
    if isinstance(value, str):
        standard = _STANDARD_COMMUNITY.match(value)
        if standard and all(int(part) <= 65535 for part in standard.groups()):
            return value
        large = _LARGE_COMMUNITY.match(value)
        if large and all(int(part) <= UINT32_MAX for part in large.groups()):
            return value
    raise fail(where, f"community {_shown(value)} is neither A:B with each half 0-65535 "
                      "(65535:65281) nor large:A:B:C with each part 0-4294967295")


def seconds(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    """A Go duration (90s, 1m30s) as whole seconds, the only precision BGP timers have."""
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        raise fail(where, f"{key} {value} has no unit; write {value}s")
    if not isinstance(value, str) or not (value == "0" or _DURATION.match(value)):
        raise fail(where, f"{key} {_shown(value)} is not a duration such as 90s or 1m30s")
    try:
        total = sum((Decimal(number) * _UNIT_SECONDS[unit]
                     for number, unit in _DURATION_PART.findall(value)), Decimal(0))
    except InvalidOperation:
        raise fail(where, f"{key} {_shown(value)} is not a duration such as 90s or 1m30s") from None
    if total != total.to_integral_value():
        raise fail(where, f"{key} {value} is not a whole number of seconds; BGP timers count seconds")
    return int(total)


def selector(value: Any, where: str) -> dict[str, Any]:
    """A legacy node selector (match-labels, match-expressions) as a Kubernetes LabelSelector."""
    raw = mapping(value, where, ("match-labels", "match-expressions"))
    result: dict[str, Any] = {}
    labels = raw.get("match-labels") or {}
    if not isinstance(labels, Mapping):
        raise fail(f"{where}.match-labels", f"expected a mapping of labels, got {_shown(labels)}")
    for name, label in labels.items():
        if not isinstance(name, str) or not isinstance(label, str):
            raise fail(f"{where}.match-labels", f"label {_shown(name)}: {_shown(label)} "
                                                 "must be text on both sides; quote it")
    if labels:
        result["matchLabels"] = dict(labels)
    expressions = []
    for index, item in enumerate(items(raw.get("match-expressions"), f"{where}.match-expressions")):
        at = f"{where}.match-expressions[{index}]"
        expression = mapping(item, at, ("key", "operator", "values"))
        key = text(expression, "key", at, required=True)
        operator = text(expression, "operator", at, required=True)
        if operator not in SELECTOR_OPERATORS:
            raise fail(at, f"operator '{operator}' must be one of {', '.join(SELECTOR_OPERATORS)}")
        values = items(expression.get("values"), f"{at}.values")
        if not all(isinstance(v, str) for v in values):
            raise fail(at, f"values {_shown(values)} must all be text; quote them")
        if operator in ("In", "NotIn") and not values:
            raise fail(at, f"operator {operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            raise fail(at, f"operator {operator} takes no values; remove them")
        requirement: dict[str, Any] = {"key": key, "operator": operator}
        if values:
            requirement["values"] = list(values)
        expressions.append(requirement)
    if expressions:
        result["matchExpressions"] = expressions
    return result


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)
