"""Pure IP allocation for LoadBalancer Services (MetalLB semantics; no I/O)."""

from baremetal_lb.allocator.allocator import Allocator
from baremetal_lb.allocator.errors import REASONS, AllocationError
from baremetal_lb.allocator.model import (
    Assignment,
    IPAddress,
    Pool,
    PoolUsage,
    Port,
    ServiceRequest,
)
from baremetal_lb.allocator.selectors import LabelSelector, Requirement

__all__ = [
    "REASONS",
    "AllocationError",
    "Allocator",
    "Assignment",
    "IPAddress",
    "LabelSelector",
    "Pool",
    "PoolUsage",
    "Port",
    "Requirement",
    "ServiceRequest",
]
