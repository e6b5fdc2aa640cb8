"""Pure parsing and validation of pools and Services (no I/O)."""

from baremetal_lb.config.errors import ConfigError
from baremetal_lb.config.pools import PoolProblem, parse_pool, parse_pools
from baremetal_lb.config.selectors import parse_selector
from baremetal_lb.config.service import is_ours, service_request

# helper B adds here: import_legacy (config/legacy.py) and crds (config/crds.py)

__all__ = [
    "ConfigError",
    "PoolProblem",
    "is_ours",
    "parse_pool",
    "parse_pools",
    "parse_selector",
    "service_request",
]
