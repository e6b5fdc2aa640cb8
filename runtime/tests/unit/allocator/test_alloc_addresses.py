"""Integer address helpers against brute force on small random inputs."""

import random

import pytest

from baremetal_lb.allocator.addresses import Span, SpanIndex, count_buggy, lowest_free, lowest_usable


def brute_lowest(used: set[int], first: int, last: int, skip_buggy: bool = False) -> int | None:
    for v in range(first, last + 1):
        if v not in used and not (skip_buggy and v % 256 in (0, 255)):
            return v
    return None


@pytest.mark.parametrize("seed", range(40))
def test_lowest_free_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    used = set(rng.sample(range(600), rng.randrange(0, 600)))
    ordered = sorted(used)
    for _ in range(50):
        first = rng.randrange(0, 600)
        last = rng.randrange(first, 700)
        assert lowest_free(ordered, first, last) == brute_lowest(used, first, last)
        assert lowest_usable(ordered, 4, first, last, True) == brute_lowest(used, first, last, True)
        assert lowest_usable(ordered, 6, first, last, True) == brute_lowest(used, first, last)


@pytest.mark.parametrize(("first", "last"),
                         [(0, 0), (0, 255), (1, 254), (255, 256), (250, 1030), (0, 70000), (513, 513)])
def test_count_buggy_matches_brute_force(first: int, last: int) -> None:
    assert count_buggy(first, last) == sum(1 for v in range(first, last + 1) if v % 256 in (0, 255))


def test_span_index_finds_owner_and_rejects_overlap() -> None:
    index = SpanIndex([Span(4, 10, 20, "a"), Span(4, 30, 40, "b"), Span(6, 10, 20, "c")])

    def owner(span: Span | None) -> str | None:
        return None if span is None else span.owner

    assert [owner(index.find(4, v)) for v in (9, 10, 20, 21, 30, 40, 41)] == [None, "a", "a", None, "b", "b", None]
    assert owner(index.find(6, 15)) == "c"
    with pytest.raises(ValueError, match="overlap"):
        SpanIndex([Span(4, 10, 20, "a"), Span(4, 20, 25, "b")])
