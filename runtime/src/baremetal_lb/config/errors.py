"""The one error type of configuration parsing.

Every message names the object, the field and the fix, e.g.
"IPAddressPool metallb-system/web: spec.addresses[1] '198.51.100.300' is not an IP,
a CIDR or a range a-b". Being a ValueError lets callers treat bad input uniformly.
"""


class ConfigError(ValueError):
    """A Kubernetes object (pool, Service, legacy ConfigMap) is invalid."""
