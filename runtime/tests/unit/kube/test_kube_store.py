from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.kube.store import Change, Entry, apply_event, diff_store

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "store.yaml").read_text())


def _store(raw: dict[str, list[str]]) -> dict[str, Entry[str]]:
    return {key: Entry(rv, value) for key, (rv, value) in raw.items()}


def _change(change: Change[str] | None) -> list[Any] | None:
    return None if change is None else [change.type, change.key, change.old, change.new]


@pytest.mark.parametrize("case", CASES["diff"], ids=lambda c: c["name"])
def test_diff_store(case: dict[str, Any]) -> None:
    changes = diff_store(_store(case["old"]), _store(case["new"]))
    assert [_change(c) for c in changes] == case["changes"]


@pytest.mark.parametrize("case", CASES["events"], ids=lambda c: c["name"])
def test_apply_event(case: dict[str, Any]) -> None:
    store = _store(case["store"])
    for (type_, key, rv, value), expected in case["events"]:
        assert _change(apply_event(store, type_, key, rv, value)) == expected
    assert store == _store(case["final"])


def test_diff_then_replay_delivers_each_change_once() -> None:
    """After a re-list, replaying the events the re-list already covered changes nothing."""
    old = {"a": Entry("1", "a1"), "b": Entry("2", "b1")}
    new = {"a": Entry("5", "a2"), "c": Entry("6", "c1")}
    assert len(diff_store(old, new)) == 3
    store = dict(new)
    assert apply_event(store, "MODIFIED", "a", "5", "a2") is None
    assert apply_event(store, "ADDED", "c", "6", "c1") is None
    assert apply_event(store, "DELETED", "b", "7", "b1") is None


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="BOOKMARK"):
        apply_event({}, "BOOKMARK", "a", "1", "x")
