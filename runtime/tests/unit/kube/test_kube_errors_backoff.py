from __future__ import annotations

import json

import pytest

from baremetal_lb.kube.backoff import Backoff
from baremetal_lb.kube.errors import ApiError


@pytest.mark.parametrize("status, body, expect", [
    (404, json.dumps({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
                      "message": 'services "x" not found'}),
     (404, "NotFound", 'services "x" not found')),
    (409, b'{"reason": "Conflict", "message": "the object has been modified"}',
     (409, "Conflict", "the object has been modified")),
    (503, b"<html>proxy error</html>\n", (503, "ServiceUnavailable", "<html>proxy error</html>")),
    (0, {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"},
     (410, "Expired", "too old")),
    (418, None, (418, "Unknown", "")),
])
def test_api_error_from_status(status: int, body: object, expect: tuple[int, str, str]) -> None:
    error = ApiError.from_status(status, body, "GET /api/v1/x")  # type: ignore[arg-type]
    assert (error.status, error.reason, error.message) == expect
    assert str(error).startswith("GET /api/v1/x: ")


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial=0.5, cap=4, rand=lambda: 0.5)     # no jitter at 0.5
    assert [backoff.next() for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]
    backoff.reset()
    assert backoff.next() == 0.5
    jittered = Backoff(initial=1, cap=1, jitter=0.2, rand=lambda: 1.0)
    assert jittered.next() == pytest.approx(1.2)
    with pytest.raises(ValueError):
        Backoff(initial=0)
