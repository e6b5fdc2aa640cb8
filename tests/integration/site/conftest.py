"""Every site test runs site.yml with the lab inventory, whose verify stage expects the demo
application behind the ingress VIP."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _demo_app_deployed(demo_app: None) -> None:
    """Deployed once per session, before the module's first site run."""
