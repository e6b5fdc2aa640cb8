"""Swap the cluster's metallb.io CRDs between ours and MetalLB's, and put ours back.

Ours and MetalLB's CRDs share the group metallb.io and the same names, and the lab is shared,
so MetalLB's are installed only for the length of its run. `restore_ours` leaves every CRD the
swap touched exactly as in runtime/src/baremetal_lb/config/crds/: a PUT of our manifest first
(so no MetalLB-only schema field survives, whoever owned it), then a server-side apply under
OURS_MANAGER, then the bench's own managedFields entries are dropped so the bench is no
co-owner that would keep a field alive after the CRD owner removes it. A MetalLB CRD that did
not exist before the swap and that we do not ship is deleted again: the bench created it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from _kube import ApiError, Kube

ROOT = Path(__file__).resolve().parent.parent
OURS_DIR = ROOT / "runtime" / "src" / "baremetal_lb" / "config" / "crds"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
OURS_MANAGER = "baremetal-lb"  # what the lab's CRDs already carry besides the tests' manager
BENCH_MANAGER = "bench-controller"
DROP_MANAGERS = {BENCH_MANAGER, "baremetal-lb-crds"}  # the latter: an early run's name
# MetalLB's controller caches all of these (internal/k8s/k8s.go, cache ByObject) and refuses to
# start if one kind is unknown, so all of MetalLB's CRDs are installed. The bgppeers conversion
# webhook patch is left out: there is no webhook, and the bench creates no BGPPeer.
METALLB_NEEDS = ("bfdprofiles", "bgpadvertisements", "bgppeers", "communities",
                 "configurationstates", "ipaddresspools", "l2advertisements",
                 "servicebgpstatuses", "servicel2statuses")
METALLB_CRDS = tuple(f"{plural}.metallb.io" for plural in METALLB_NEEDS)


def _load(paths: list[Path]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                out[doc["metadata"]["name"]] = doc
    return out


def ours() -> dict[str, dict[str, Any]]:
    found = _load(sorted(OURS_DIR.glob("*.yaml")))
    if not found:
        raise RuntimeError(f"no CRD manifests in {OURS_DIR}: is the runtime package checked out?")
    return found


def metallb(source: Path) -> dict[str, dict[str, Any]]:
    bases = source / "config" / "crd" / "bases"
    paths = [bases / f"metallb.io_{name}.yaml" for name in METALLB_NEEDS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise RuntimeError(f"MetalLB module lacks CRD manifests {missing}; rebuild the peer "
                           "(python bench/_peers.py --force)")
    return _load(paths)


def _get(kube: Kube, name: str) -> dict[str, Any] | None:
    try:
        return kube.request("GET", f"{CRD_PATH}/{name}")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def wait_established(kube: Kube, names: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            crd = _get(kube, name) or {}
            conds = crd.get("status", {}).get("conditions", [])
            if any(c["type"] == "Established" and c["status"] == "True" for c in conds):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {name} not Established after {timeout:.0f}s")
            time.sleep(0.2)


class CrdSwap:
    """Install one implementation's CRDs; remember what to undo."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.touched: set[str] = set()
        self.existed: set[str] = set()

    def install(self, manifests: dict[str, dict[str, Any]]) -> None:
        for name, doc in manifests.items():
            if name not in self.touched:
                self.touched.add(name)
                if _get(self.kube, name) is not None:
                    self.existed.add(name)
            self.kube.apply(doc, f"{CRD_PATH}/{name}", BENCH_MANAGER)
        wait_established(self.kube, list(manifests))

    def restore_ours(self) -> list[str]:
        """Put every touched CRD back to ours; return what was done, one line each."""
        mine = ours()
        done: list[str] = []
        for name in sorted(self.touched | set(mine)):
            if name in mine:
                self._replace(mine[name])
                self.kube.apply(mine[name], f"{CRD_PATH}/{name}", OURS_MANAGER)
                self._drop_bench_ownership(name)
                done.append(f"{name}: ours")
            elif name not in self.existed:
                gone = self.kube.request("DELETE", f"{CRD_PATH}/{name}", ok=(404,))
                if gone.get("kind") != "Status" or gone.get("code") != 404:
                    done.append(f"{name}: deleted (created by the bench, not one of ours)")
        wait_established(self.kube, list(mine))
        self.touched.clear()
        return done

    def _replace(self, doc: dict[str, Any]) -> None:
        name = doc["metadata"]["name"]
        for _ in range(5):
            live = _get(self.kube, name)
            if live is None:
                return  # the apply that follows creates it
            body = {**doc, "metadata": {**doc["metadata"],
                                        "resourceVersion": live["metadata"]["resourceVersion"]}}
            try:
                self.kube.request("PUT", f"{CRD_PATH}/{name}", body,
                                  params={"fieldManager": BENCH_MANAGER})
                return
            except ApiError as exc:
                if exc.status != 409:
                    raise
        raise RuntimeError(f"CRD {name}: PUT kept conflicting; apply {OURS_DIR} by hand")

    def _drop_bench_ownership(self, name: str) -> None:
        # The CRD's own status controller writes right after an apply, so the resourceVersion
        # read here can be stale by the time the patch lands (HTTP 409): read again and retry.
        for _ in range(10):
            live = _get(self.kube, name)
            if live is None:
                return
            entries = live["metadata"].get("managedFields", [])
            kept = [e for e in entries if e.get("manager") not in DROP_MANAGERS]
            if len(kept) == len(entries) or not kept:
                return
            try:
                self.kube.request("PATCH", f"{CRD_PATH}/{name}",
                                  {"metadata": {"managedFields": kept, "resourceVersion":
                                                live["metadata"]["resourceVersion"]}},
                                  content_type="application/merge-patch+json")
                return
            except ApiError as exc:
                if exc.status != 409:
                    raise
            time.sleep(0.2)
        raise RuntimeError(f"CRD {name}: the managedFields patch kept conflicting")


def ensure_ours(kube: Kube) -> None:
    """Our CRDs, applied under OURS_MANAGER and Established: a freshly started lab has none
    (a bench must not assume what site.yml or the tests installed)."""
    mine = ours()
    for name, doc in mine.items():
        kube.apply(doc, f"{CRD_PATH}/{name}", OURS_MANAGER)
    wait_established(kube, list(mine))
