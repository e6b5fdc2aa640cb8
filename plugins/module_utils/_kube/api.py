# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The few Kubernetes calls this collection's modules make, over kubernetes.core's client.

PRIVATE to this collection: no compatibility promise outside it.

Modules build their client with kubernetes.core (``get_api_client``), so the auth options, their
K8S_AUTH_* environment fallbacks and kubeconfig handling are exactly those of kubernetes.core's
own modules. This adapter narrows it to plain dicts in and out and to three errors, so the
logic above it is tested with a fake (tests/unit) and never imports the kubernetes package.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from kubernetes.dynamic.exceptions import ConflictError, DynamicApiError, NotFoundError
except ImportError:  # reported by kubernetes.core's module setup (requires("kubernetes"))
    ConflictError = DynamicApiError = NotFoundError = None


class KubeError(Exception):
    """An API call failed; the message says which call and what the apiserver answered."""


class KubeConflict(KubeError):
    """409: the object changed since it was read (resourceVersion) or a field is owned elsewhere."""


class KubeApi:
    """get / replace / apply of single objects, by apiVersion and kind."""

    def __init__(self, client):
        self.client = client  # kubernetes.core K8SClient

    def _resource(self, api_version, kind):
        try:
            return self.client.resource(kind, api_version)
        except Exception as exc:  # ResourceNotFoundError and discovery failures alike
            raise KubeError("the apiserver does not serve %s %s: %s" % (api_version, kind, exc)) from exc

    def get(self, api_version, kind, name, namespace=None):
        """The object as a dict, or None when it does not exist."""
        resource = self._resource(api_version, kind)
        try:
            return resource.get(name=name, namespace=namespace).to_dict()
        except Exception as exc:
            if NotFoundError is not None and isinstance(exc, NotFoundError):
                return None
            raise _error("reading %s %s" % (kind, _where(namespace, name)), exc) from exc

    def list(self, api_version, kind, namespace=None, label_selector=None):
        """The items (dicts), in every namespace when `namespace` is None."""
        resource = self._resource(api_version, kind)
        try:
            found = resource.get(namespace=namespace, label_selector=label_selector)
        except Exception as exc:
            raise _error("listing %s%s" % (kind, " in %s" % namespace if namespace else ""), exc) from exc
        return found.to_dict().get("items") or []

    def replace(self, api_version, kind, body, field_manager):
        """PUT the whole object; with metadata.resourceVersion set, a concurrent edit is a 409."""
        resource = self._resource(api_version, kind)
        metadata = body["metadata"]
        try:
            return self.client.client.replace(
                resource, body=body, name=metadata["name"], namespace=metadata.get("namespace"),
                field_manager=field_manager).to_dict()
        except Exception as exc:
            raise _error("writing %s %s" % (kind, _where(metadata.get("namespace"),
                                                         metadata["name"])), exc) from exc

    def apply(self, api_version, kind, body, field_manager, force=False):
        """Server-side apply of a (partial) object under `field_manager`."""
        resource = self._resource(api_version, kind)
        metadata = body["metadata"]
        try:
            return self.client.client.server_side_apply(
                resource, body=body, name=metadata["name"], namespace=metadata.get("namespace"),
                field_manager=field_manager, force_conflicts=force).to_dict()
        except Exception as exc:
            raise _error("applying %s %s" % (kind, _where(metadata.get("namespace"),
                                                          metadata["name"])), exc) from exc


def _where(namespace, name):
    return "%s/%s" % (namespace, name) if namespace else name


def _error(what, exc):
    if ConflictError is not None and isinstance(exc, ConflictError):
        return KubeConflict("%s: conflict (409): %s" % (what, _reason(exc)))
    if DynamicApiError is not None and isinstance(exc, DynamicApiError):
        return KubeError("%s: %s %s" % (what, getattr(exc, "status", "?"), _reason(exc)))
    return KubeError("%s: %s" % (what, exc))


def _reason(exc):
    """The apiserver's message (Status.message) rather than the whole HTTP dump."""
    summary = getattr(exc, "summary", None)
    if callable(summary):
        try:
            return summary()
        except Exception:
            pass
    return str(exc)
