"""parse_pool / parse_pools against pools.yaml and pool_sets.yaml."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.allocator import LabelSelector, Pool
from baremetal_lb.config import ConfigError, parse_pool, parse_pools

HERE = Path(__file__).parent
POOLS = yaml.safe_load((HERE / "pools.yaml").read_text())
SETS = yaml.safe_load((HERE / "pool_sets.yaml").read_text())


def plain_selector(s: LabelSelector) -> dict[str, Any]:
    return {"labels": dict(s.match_labels),
            "expressions": [[r.key, r.operator, list(r.values)] for r in s.match_expressions]}


def plain(pool: Pool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "ranges": [f"{a}-{b}" for a, b in pool.ranges],
        "auto_assign": pool.auto_assign,
        "avoid_buggy_ips": pool.avoid_buggy_ips,
        "priority": pool.priority,
        "namespaces": sorted(pool.namespaces),
        "namespace_selectors": [plain_selector(s) for s in pool.namespace_selectors],
        "service_selectors": [plain_selector(s) for s in pool.service_selectors],
    }


@pytest.mark.parametrize("case", POOLS, ids=[c["name"] for c in POOLS])
def test_parse_pool(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ConfigError) as err:
            parse_pool(case["pool"])
        for words in case["error"]:
            assert words in str(err.value)
        return
    got = plain(parse_pool(case["pool"]))
    assert {k: got[k] for k in case["expect"]} == case["expect"]


@pytest.mark.parametrize("case", SETS, ids=[c["name"] for c in SETS])
def test_parse_pools(case: dict[str, Any]) -> None:
    pools, problems = parse_pools(case["pools"])
    assert [p.name for p in pools] == case["accepted"]
    assert sorted(p.name for p in problems) == sorted(case["problems"])
    for problem in problems:
        for words in case["problems"][problem.name]:
            assert words in problem.message, problem.message


def test_many_pools_without_overlap_are_all_accepted() -> None:
    objs = [{"metadata": {"name": f"p{i:04}"}, "spec": {"addresses": [f"10.{i // 256}.{i % 256}.0/24"]}}
            for i in range(2000)]
    pools, problems = parse_pools(reversed(objs))
    assert problems == [] and [p.name for p in pools] == [o["metadata"]["name"] for o in objs]
