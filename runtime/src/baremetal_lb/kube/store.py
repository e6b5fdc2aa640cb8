"""The informer's store and the pure rules that turn watch events and re-lists into changes.

Entries remember the resourceVersion of the object they came from, so that a re-list after
a 410 can tell an object that changed while the watch was down (MODIFIED) from one that did
not (no event), whatever the stored projection keeps of the object.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


class Entry(NamedTuple, Generic[T]):
    resource_version: str
    value: T


@dataclass(frozen=True)
class Change(Generic[T]):
    type: str          # ADDED, MODIFIED or DELETED
    key: str
    old: T | None      # None for ADDED
    new: T | None      # None for DELETED


def diff_store(old: Mapping[str, Entry[T]], new: Mapping[str, Entry[T]]) -> list[Change[T]]:
    """The changes that turn `old` into `new`: deletions first (they may free what additions
    need), then modifications, then additions, each in key order. An entry whose
    resourceVersion did not change is not reported."""
    deleted = [Change(DELETED, key, old[key].value, None)
               for key in sorted(old.keys() - new.keys())]
    modified = [Change(MODIFIED, key, old[key].value, new[key].value)
                for key in sorted(old.keys() & new.keys())
                if old[key].resource_version != new[key].resource_version]
    added = [Change(ADDED, key, None, new[key].value)
             for key in sorted(new.keys() - old.keys())]
    return deleted + modified + added


def apply_event(store: MutableMapping[str, Entry[T]], type_: str, key: str,
                resource_version: str, value: T) -> Change[T] | None:
    """Applies one watch event to the store and says what changed for the consumer. Events
    that repeat what the store already holds (same resourceVersion, or a deletion of an
    unknown key) give None, so a replayed event is never delivered twice; an ADDED for a known
    key is a modification and a MODIFIED for an unknown key an addition."""
    current = store.get(key)
    if type_ == DELETED:
        if current is None:
            return None
        del store[key]
        return Change(DELETED, key, current.value, None)
    if type_ not in (ADDED, MODIFIED):
        raise ValueError(f"watch event type {type_!r} is not ADDED, MODIFIED or DELETED")
    if current is not None and current.resource_version == resource_version:
        return None
    store[key] = Entry(resource_version, value)
    if current is None:
        return Change(ADDED, key, None, value)
    return Change(MODIFIED, key, current.value, value)
