"""The controller: allocates Service IPs from IPAddressPools (MetalLB's API)."""

from .controller import Controller, ControllerOptions

__all__ = ["Controller", "ControllerOptions"]
