"""Pure parsing and validation of metallb.io objects and Services (no I/O).

`config_for` turns every metallb.io object into one immutable `Config` (model.py); the parsers
of each kind are in pools.py, advertisements.py and peers.py, with one selector parser
(selectors.py). service.py reads Services; legacy.py imports a MetalLB ConfigMap; crds.py
serves our CRDs; projection.py is what the components keep of each object they watch.
"""

from baremetal_lb.config.advertisements import BGPAdvertisement, L2Advertisement
from baremetal_lb.config.crds import crds
from baremetal_lb.config.errors import ConfigError, ObjectRef, Problem
from baremetal_lb.config.legacy import import_legacy
from baremetal_lb.config.model import Config, PoolConfig, config_for, sort_problems
from baremetal_lb.config.peers import PeerConfig, password_secret_names
from baremetal_lb.config.pools import parse_pool, parse_pools
from baremetal_lb.config.selectors import parse_selector, parse_selectors, selects
from baremetal_lb.config.service import ingress_ips, is_ours, service_request

__all__ = [
    "BGPAdvertisement",
    "Config",
    "ConfigError",
    "L2Advertisement",
    "ObjectRef",
    "PeerConfig",
    "PoolConfig",
    "Problem",
    "config_for",
    "crds",
    "import_legacy",
    "ingress_ips",
    "is_ours",
    "parse_pool",
    "parse_pools",
    "parse_selector",
    "parse_selectors",
    "password_secret_names",
    "selects",
    "service_request",
    "sort_problems",
]
