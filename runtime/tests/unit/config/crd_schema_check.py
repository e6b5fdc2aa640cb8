"""A checker for the OpenAPI subset our CRD schemas use, for unit tests without an apiserver.

It covers the structural part of validation (types, required, enum, bounds, patterns, unknown
fields, which the apiserver rejects under strict field validation). CEL rules are not
evaluated here: the integration tests send objects to the real apiserver for those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float),
}


def problems(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Every violation of `schema` by `value`, as 'path: what' strings (empty when valid)."""
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        if not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
            return [f"{path or '.'}: expected {kind}, got {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: {value} below minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: {value} above maximum {schema['maximum']}")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
            found.append(f"{path}: length {len(value)} outside the allowed lengths")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append(f"{path}: {len(value)} items outside the allowed count")
        for index, item in enumerate(value):
            found += problems(schema.get("items", {}), item, f"{path}[{index}]")
    if isinstance(value, dict):
        found += _object_problems(schema, value, path)
    return found


def _object_problems(schema: Mapping[str, Any], value: Mapping[str, Any], path: str) -> list[str]:
    found = [f"{path}.{key}: required" for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if properties is not None and key in properties:
            found += problems(properties[key], item, f"{path}.{key}")
        elif isinstance(extra, Mapping):
            found += problems(extra, item, f"{path}.{key}")
        elif properties is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
            found.append(f"{path}.{key}: unknown field")
    return found
