"""baremetal-lb: LoadBalancer Services on bare metal (controller and speaker)."""

__version__ = "0.1.0"
