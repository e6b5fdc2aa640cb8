"""Parse metav1.LabelSelector objects (matchLabels / matchExpressions) into LabelSelector.

Validation follows Kubernetes: In/NotIn need values, Exists/DoesNotExist take none; label
values must be strings (YAML `true` or `1` must be quoted). Like MetalLB, a value listed twice
in one expression is an error. A missing selector (None) selects everything; an empty list
of selectors selects everything too, a non-empty one when any selector matches (MetalLB's rule
for nodeSelectors, ipAddressPoolSelectors and serviceAllocation selectors).

This is the only selector parser: pools, advertisements and peers all go through it.
"""

from collections.abc import Mapping
from typing import Any

from baremetal_lb.allocator import LabelSelector, Requirement
from baremetal_lb.allocator.selectors import OPERATORS, any_matches
from baremetal_lb.config.errors import ConfigError


def _string_map(obj: object, where: str) -> tuple[tuple[str, str], ...]:
    if obj is None:
        return ()
    if not isinstance(obj, Mapping):
        raise ConfigError(f"{where} must be a map of label names to values")
    for k, v in obj.items():
        if not isinstance(k, str) or not k:
            raise ConfigError(f"{where} has a label name {k!r} that is not a non-empty string")
        if not isinstance(v, str):
            raise ConfigError(f"{where}.{k} is {v!r}, not a string; quote it")
    return tuple(sorted(obj.items()))


def _requirement(obj: object, where: str) -> Requirement:
    if not isinstance(obj, Mapping):
        raise ConfigError(f"{where} must be an object with key, operator and values")
    key, operator, values = obj.get("key"), obj.get("operator"), obj.get("values")
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{where}.key must be a non-empty label name")
    if operator not in OPERATORS:
        raise ConfigError(f"{where}.operator {operator!r} is not one of {', '.join(OPERATORS)}")
    values = [] if values is None else values
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}.values must be a list of strings (quote numbers and booleans)")
    if operator in ("In", "NotIn") and not values:
        raise ConfigError(f"{where}: operator {operator} needs at least one value")
    if operator in ("Exists", "DoesNotExist") and values:
        raise ConfigError(f"{where}: operator {operator} takes no values; remove values")
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}.values lists a value twice; remove the duplicate")
    return Requirement(key, str(operator), tuple(sorted(values)))


def parse_selector(obj: Mapping[str, Any] | None, where: str) -> LabelSelector:
    """`where` names the object and field, e.g. "IPAddressPool ns/p: spec.serviceAllocation.serviceSelectors[0]"."""
    if obj is None:
        return LabelSelector()
    if not isinstance(obj, Mapping):
        raise ConfigError(f"{where} must be a label selector (matchLabels and/or matchExpressions)")
    expressions = obj.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise ConfigError(f"{where}.matchExpressions must be a list")
    requirements = tuple(
        _requirement(e, f"{where}.matchExpressions[{i}]") for i, e in enumerate(expressions)
    )
    if len(set(requirements)) != len(requirements):
        raise ConfigError(f"{where}.matchExpressions lists one expression twice; remove the duplicate")
    return LabelSelector(_string_map(obj.get("matchLabels"), f"{where}.matchLabels"), requirements)


def parse_selectors(obj: object, where: str) -> tuple[LabelSelector, ...]:
    """A list of selectors (`where` names the list, e.g. "...: spec.nodeSelectors")."""
    if obj is None:
        return ()
    if not isinstance(obj, list):
        raise ConfigError(f"{where} must be a list of label selectors")
    return tuple(parse_selector(s, f"{where}[{i}]") for i, s in enumerate(obj))


def selects(selectors: tuple[LabelSelector, ...], labels: Mapping[str, str]) -> bool:
    """MetalLB's rule for a list of selectors: none selects everything, otherwise any one."""
    return not selectors or any_matches(selectors, labels)
