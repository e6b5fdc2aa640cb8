"""The BGP password Secrets, read one by one by name, never the namespace's Secrets at large.

The speaker needs exactly the Secrets BGPPeers name in spec.passwordSecret. Each gets its own
informer restricted to that name (fieldSelector metadata.name=NAME), which the apiserver
authorizes as access to that one object, so the speaker's Role can list the names in
`resourceNames` instead of granting every Secret of the namespace. An informer starts when a
BGPPeer first names the Secret and stops when none does any more; a password rotated in the
Secret reaches FRR through the watch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from baremetal_lb.config.projection import slim_secret
from baremetal_lb.kube import Informer, KubeClient
from baremetal_lb.kube.resources import SECRETS

log = logging.getLogger(__name__)
# How long a newly named Secret may take to be read before the configuration is rebuilt
# without it (the peer then shows "passwordSecret ... was not found"): long enough for one
# LIST, short enough that a Secret the speaker may not read is reported.
FIRST_READ_SECONDS = 5.0


class NamedSecrets:
    def __init__(self, client: KubeClient, namespace: str, on_change: Callable[..., None], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client, self._namespace, self._on_change = client, namespace, on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._informers: dict[str, tuple[Informer[dict[str, Any]], float]] = {}

    def want(self, names: Iterable[str]) -> None:
        """Read exactly these Secrets from now on (starts and stops informers)."""
        wanted = set(names)
        with self._lock:
            gone = [self._informers.pop(n)[0] for n in set(self._informers) - wanted]
            for name in sorted(wanted - set(self._informers)):
                informer: Informer[dict[str, Any]] = Informer(
                    self._client, SECRETS.path(self._namespace), name=f"secret-{name}",
                    transform=slim_secret, on_event=self._on_change,
                    params={"fieldSelector": f"metadata.name={name}"})
                informer.start()
                self._informers[name] = (informer, self._clock())
                log.info("reading Secret %s/%s (a BGPPeer's passwordSecret)",
                         self._namespace, name)
        for informer in gone:
            informer.stop(timeout=1.0)
        if gone:
            self._on_change()

    def waiting(self) -> bool:
        """Whether a Secret named only just now has not been read yet (give it
        FIRST_READ_SECONDS before building a configuration without it)."""
        now = self._clock()
        with self._lock:
            return any(not informer.has_synced and now - since < FIRST_READ_SECONDS
                       for informer, since in self._informers.values())

    def wait_read(self, timeout: float = FIRST_READ_SECONDS) -> None:
        """Waits (at most `timeout`) until every wanted Secret was read once."""
        deadline = self._clock() + timeout
        with self._lock:
            informers = [informer for informer, _ in self._informers.values()]
        for informer in informers:
            informer.wait_synced(max(0.0, deadline - self._clock()))

    def passwords(self) -> dict[str, str]:
        """Secret name -> password, for those read and holding one."""
        with self._lock:
            informers = [informer for informer, _ in self._informers.values()]
        found = {}
        for informer in informers:
            for secret in informer.items():
                if secret.get("password") is not None:
                    found[secret["metadata"]["name"]] = secret["password"]
        return found

    def stop(self) -> None:
        self.want(())
