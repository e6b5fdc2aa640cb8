"""Kubernetes label selectors (metav1.LabelSelector semantics), evaluated without I/O.

An empty selector matches every label set, as in Kubernetes' LabelSelectorAsSelector.
`NotIn` matches when the key is absent, like Kubernetes (a common surprise).
"""

from collections.abc import Mapping
from dataclasses import dataclass

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # one of OPERATORS
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        raise ValueError(f"label selector operator {self.operator!r} is not one of {', '.join(OPERATORS)}")


@dataclass(frozen=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.match_expressions
        )


def any_matches(selectors: tuple[LabelSelector, ...], labels: Mapping[str, str]) -> bool:
    """A list of selectors in a pool is an OR: one match is enough."""
    return any(s.matches(labels) for s in selectors)
