"""Runs every case of cases/*.yaml: pools, then a sequence of operations with expectations.

After each operation the runner also checks the allocator's invariants against what it was
told: every assigned address lies in its pool, and any two Services on one address may
share it (sharing.conflict). So a case can fail even where it states no expectation.
"""

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from alloc_cases import assignment, pool, request

from baremetal_lb.allocator import REASONS, AllocationError, Allocator, Assignment, PoolUsage, ServiceRequest
from baremetal_lb.allocator.sharing import Usage, conflict

CASES = sorted(Path(__file__).parent.glob("cases/*.yaml"))


def load() -> list[Any]:
    params = []
    for path in CASES:
        for case in yaml.safe_load(path.read_text()):
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def check_invariants(alloc: Allocator, requests: Mapping[str, ServiceRequest], pools: Mapping[str, Any]) -> None:
    holders: dict[Any, list[str]] = {}
    for key in requests:
        got = alloc.assignment(key)
        if got is None:
            continue
        spec = pools[got.pool]
        assert any(int(a) <= int(ip) <= int(b) and a.version == ip.version for ip in got.ips for a, b in spec.ranges)
        for ip in got.ips:
            holders.setdefault(ip, []).append(key)
    for ip, keys in holders.items():
        for a, b in itertools.combinations(keys, 2):
            assert conflict(Usage.of(requests[a]), Usage.of(requests[b])) is None, f"{a} and {b} on {ip}"


@pytest.mark.parametrize("case", load())
def test_case(case: dict[str, Any]) -> None:
    alloc = Allocator()
    pools = {p["name"]: pool(p) for p in case.get("pools", [])}
    assert alloc.set_pools(list(pools.values())) == []
    defaults = case.get("defaults", {})
    requests: dict[str, ServiceRequest] = {}
    previous: dict[str, Assignment] = {}
    for step, op in enumerate(case["ops"]):
        where = f"step {step}: {op}"
        if "assign" in op:
            svc = request({**defaults, **op["assign"]})
            requests[svc.key] = svc
            if "error" in op:
                assert op["error"] in REASONS
                with pytest.raises(AllocationError) as err:
                    alloc.assign(svc)
                assert err.value.reason == op["error"], f"{where}: {err.value.message}"
                for word in op.get("message_has", []):
                    assert word in err.value.message, where
                assert alloc.assignment(svc.key) is None, where
                previous.pop(svc.key, None)
            else:
                got = alloc.assign(svc)
                if "expect" in op:
                    assert got == assignment(op["expect"]), where
                if op.get("same"):
                    assert got is previous[svc.key], where
                previous[svc.key] = got
        elif "release" in op:
            got = alloc.release(op["release"])
            assert got == assignment(op.get("expect")), where
            previous.pop(op["release"], None)
        elif "set_pools" in op:
            pools = {p["name"]: pool(p) for p in op["set_pools"]}
            assert alloc.set_pools(list(pools.values())) == op.get("released", []), where
        else:
            assert "check" in op, f"unknown operation {op}"
        for key, want in (op.get("assignments") or {}).items():
            assert alloc.assignment(key) == assignment(want), f"{where}: {key}"
        if "usage" in op:
            assert alloc.usage() == {k: PoolUsage(*v) for k, v in op["usage"].items()}, where
        check_invariants(alloc, requests, pools)
