"""Every declared metric is documented, and the API observer records counts and durations."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from baremetal_lb.metrics import ControllerMetrics, SpeakerMetrics

DOCS = Path(__file__).parents[3] / "docs"


def _names(registry: CollectorRegistry) -> set[str]:
    return {metric.name + ("_total" if metric.type == "counter" else "")
            for metric in registry.collect()}


@pytest.mark.parametrize("metrics,doc", [(ControllerMetrics(), "controller.md"),
                                         (SpeakerMetrics(), "speaker.md")])
def test_every_metric_is_documented(metrics: ControllerMetrics | SpeakerMetrics,
                                    doc: str) -> None:
    text = (DOCS / doc).read_text()
    missing = sorted(name for name in _names(metrics.registry) if f"`{name}" not in text)
    assert missing == [], f"docs/{doc} does not document {missing}"


def test_requests_are_counted_and_timed() -> None:
    metrics = ControllerMetrics()
    metrics.observe_request("patch", "services/status", 200, 0.02)
    get = metrics.registry.get_sample_value
    assert get("baremetal_lb_api_requests_total",
               {"verb": "patch", "resource": "services/status", "code": "200"}) == 1
    assert get("baremetal_lb_api_request_duration_seconds_sum",
               {"verb": "patch", "resource": "services/status"}) == 0.02
