"""Pure parsing and validation of pools and Services (no I/O)."""

from baremetal_lb.config.errors import ConfigError

__all__ = ["ConfigError"]
