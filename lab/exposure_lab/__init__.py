"""A small bare-metal site built from network namespaces and real daemons on one machine."""

from .config import LabConfig
from .core import Lab, LabError

__all__ = ["Lab", "LabConfig", "LabError"]
