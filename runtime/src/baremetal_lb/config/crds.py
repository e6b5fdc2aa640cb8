"""The metallb.io CustomResourceDefinitions we serve, read from the package's crds/*.yaml.

The YAML files are the source of truth (reviewed like code, applied as they are); this module
only loads them, so `baremetal-lb crds`, the tests and an installer all see the same objects.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import yaml

from baremetal_lb.config.errors import ConfigError

_PACKAGE = "baremetal_lb.config"
_DIRECTORY = "crds"


def crds() -> list[dict[str, Any]]:
    """Every CRD, ordered by file name (so by resource name: bfdprofiles..., bgpadvertisements...)."""
    directory = resources.files(_PACKAGE).joinpath(_DIRECTORY)
    files = sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    loaded = [_load(entry.name, entry.read_text(encoding="utf-8")) for entry in files]
    if not loaded:
        raise ConfigError(f"no CRD files found in {_PACKAGE}/{_DIRECTORY}: the package is incomplete")
    return loaded


def _load(name: str, text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
        raise ConfigError(f"{_DIRECTORY}/{name} is not a CustomResourceDefinition manifest")
    # The files share sub-schemas through YAML anchors; a JSON round trip gives every caller
    # independent objects (mutating one CRD cannot change another, and dumping them back to
    # YAML does not print &id001 aliases).
    copied: dict[str, Any] = json.loads(json.dumps(document))
    return copied
