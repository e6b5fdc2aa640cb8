"""LabelSelector.matches, with Kubernetes semantics, from selectors.yaml."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from alloc_cases import selector

CASES = yaml.safe_load((Path(__file__).parent / "selectors.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_selector(case: dict[str, Any]) -> None:
    sel = selector(case["selector"])
    for labels in case.get("match", []):
        assert sel.matches(labels), labels
    for labels in case.get("no_match", []):
        assert not sel.matches(labels), labels
