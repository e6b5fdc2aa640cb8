"""Configuration problems, reported the way MetalLB 0.15+ does: a ConfigurationState object per
component (metallb.io/v1beta1, in the MetalLB namespace: "controller", "speaker-<node>") whose
status says Valid or Invalid and why, and a Warning Event `InvalidConfiguration` on each object
left out, so `kubectl get configurationstates` and `kubectl describe` show why a pool, an
advertisement or a peer is ignored.

Writes happen only when the reported state changes, from a background thread (a slow
apiserver never delays a reconcile); a failed write is retried with capped backoff (5 s to
5 min: a cluster without the ConfigurationState CRD costs a request every 5 minutes at most)
until it lands. A controller's reporter writes only while it leads: its writes go through the
controller's WriteFence (kube/fence.py), so a deposed leader cannot overwrite the state the
new leader reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from baremetal_lb.config import Problem
from baremetal_lb.kube import ApiError, EventRecorder, KubeClient, server_side_apply
from baremetal_lb.kube.backoff import Backoff
from baremetal_lb.kube.fence import Fenced, WriteFence
from baremetal_lb.kube.resources import CONFIGURATION_STATES

log = logging.getLogger(__name__)
API_VERSION = CONFIGURATION_STATES.api_version
KIND = CONFIGURATION_STATES.kind
REASON = "InvalidConfiguration"
SUMMARY_LIMIT = 4096
RETRY_SECONDS = 5.0
RETRY_CAP_SECONDS = 300.0
# While the fence refuses (a standby controller), look again this often: no request is made,
# and a replica that becomes leader writes its pending state within this time.
FENCED_WAIT_SECONDS = 1.0


def state_name(component: str, node: str | None) -> str:
    return f"{component}-{node}" if node else component


def state_status(problems: Sequence[Problem], kinds: Iterable[str]) -> dict[str, Any]:
    """The status body without transition times: result, errorSummary and one condition
    `<Kind>Valid` per kind the component reads (plus any kind a problem names)."""
    messages = [p.message for p in problems]
    summary = "; ".join(messages)
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[:SUMMARY_LIMIT] + f"... ({len(messages)} problems in all)"
    conditions = []
    for kind in dict.fromkeys([*kinds, *(p.kind for p in problems)]):
        found = [p.message for p in problems if p.kind == kind]
        conditions.append({"type": f"{kind}Valid", "status": "False" if found else "True",
                           "reason": "ObjectsIgnored" if found else "Valid",
                           "message": "\n".join(found)})
    return {"result": "Invalid" if problems else "Valid", "errorSummary": summary,
            "conditions": conditions}


class ConfigReporter:
    """Reports one component's configuration problems (see the module docstring).

    `kinds`: the kinds this component reads (each gets a condition even when valid).
    `event_kinds`: the kinds whose problems get a Warning Event from this component (None:
    all), so that a problem every speaker sees is not put on the object by the controller and
    every speaker alike. `fence`: each write attempt is made through it (a leader's writes);
    while it refuses, the state stays pending and is retried."""

    def __init__(self, client: KubeClient, recorder: EventRecorder, namespace: str,
                 component: str, manager: str, *, node: str | None = None,
                 kinds: Sequence[str] = (), event_kinds: Iterable[str] | None = None,
                 clock: Any = None, fence: WriteFence | None = None) -> None:
        self._client = client
        self._recorder = recorder
        self._manager = manager
        self._fence = fence
        self._kinds = tuple(kinds)
        self._event_kinds = None if event_kinds is None else frozenset(event_kinds)
        self._clock = clock or (lambda: datetime.now(UTC))
        labels = {"metallb.io/component-type": component}
        if node:
            labels["metallb.io/node-name"] = node
        self._meta = {"name": state_name(component, node), "namespace": namespace,
                      "labels": labels}
        self._known: frozenset[Problem] = frozenset()
        self._cond = threading.Condition()
        self._pending: dict[str, Any] | None = None
        self._written: dict[str, Any] | None = None
        self._created = False
        self._stopping = False
        self._transitions: dict[str, tuple[str, str]] = {}
        self._thread: threading.Thread | None = None
        self._backoff = Backoff(RETRY_SECONDS, max(RETRY_SECONDS, RETRY_CAP_SECONDS))

    def report(self, problems: Sequence[Problem]) -> None:
        """The component's current problems (all of them, every time). Never blocks."""
        new = [p for p in problems if p not in self._known]
        self._known = frozenset(problems)
        for problem in new:
            log.warning("left out: %s", problem.message)
            if self._event_kinds is None or problem.kind in self._event_kinds:
                self._recorder.record(problem.ref.as_object(), "Warning", REASON,
                                      problem.message)
        status = state_status(problems, self._kinds)
        with self._cond:
            if status in (self._pending, self._written) and self._pending in (None, status):
                return
            self._pending = status
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="config-state",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                status = self._pending
            assert status is not None
            written = self._write(status)
            if written is None:
                with self._cond:
                    self._cond.wait(FENCED_WAIT_SECONDS)
            elif written:
                self._backoff.reset()
                with self._cond:
                    self._written = status
                    if self._pending == status:
                        self._pending = None
            else:
                delay = self._backoff.next()
                with self._cond:
                    self._cond.wait(delay)

    def _write(self, status: dict[str, Any]) -> bool | None:
        """True when written, False when the API refused (back off), None when fenced."""
        obj = {"apiVersion": API_VERSION, "kind": KIND, "metadata": self._meta}
        try:
            if not self._created:
                self._apply(obj, None)
                self._created = True
            self._apply(dict(obj, status=self._timed(status)), "status")
            return True
        except Fenced as exc:
            if exc.last is not None:     # leading, but the apiserver did not answer in time
                log.info("ConfigurationState %s not written (retrying): %s",
                         self._meta["name"], exc)
                return False
            return None
        except ApiError as exc:
            if exc.status == 404:
                self._created = False     # deleted meanwhile: create it again
            log.info("ConfigurationState %s not written (retrying): %s", self._meta["name"], exc)
            return False
        except Exception:  # noqa: BLE001 - the writer thread must outlive any one failure
            log.exception("ConfigurationState %s not written (retrying)", self._meta["name"])
            return False

    def _apply(self, obj: dict[str, Any], subresource: str | None) -> None:
        if self._fence is None:
            server_side_apply(self._client, obj, self._manager, force=True,
                              subresource=subresource)
            return
        self._fence.run(f"ConfigurationState {self._meta['name']}", lambda timeout: (
            server_side_apply(self._client, obj, self._manager, force=True,
                              subresource=subresource, timeout=timeout, retry=False)))

    def _timed(self, status: dict[str, Any]) -> dict[str, Any]:
        """lastTransitionTime of each condition: when its status last changed (as far as this
        process saw it)."""
        now = self._clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions = []
        for condition in status["conditions"]:
            before = self._transitions.get(condition["type"])
            if before is None or before[0] != condition["status"]:
                before = (condition["status"], now)
                self._transitions[condition["type"]] = before
            conditions.append(dict(condition, lastTransitionTime=before[1]))
        return dict(status, conditions=conditions)
