"""Pure parsing and validation of pools and Services (no I/O)."""

from baremetal_lb.config.errors import ConfigError
from baremetal_lb.config.pools import PoolProblem, parse_pool, parse_pools
from baremetal_lb.config.selectors import parse_selector
from baremetal_lb.config.service import is_ours, service_request

from baremetal_lb.config.crds import crds
from baremetal_lb.config.legacy import import_legacy

__all__ = [
    "ConfigError",
    "PoolProblem",
    "crds",
    "import_legacy",
    "is_ours",
    "parse_pool",
    "parse_pools",
    "parse_selector",
    "service_request",
]
