"""The metallb.io CRDs we author: MetalLB's names and fields, structural schemas, printer
columns that point at real fields, validation messages, and crds() loading them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from crd_schema_check import problems

from baremetal_lb.config.crds import crds

HERE = Path(__file__).parent
FACTS = yaml.safe_load((HERE / "crd_facts.yaml").read_text())
SAMPLES = yaml.safe_load((HERE / "crd_samples.yaml").read_text())
BY_NAME = {crd["metadata"]["name"]: crd for crd in crds()}
BY_KIND = {crd["spec"]["names"]["kind"]: crd for crd in crds()}
FIELDS = [(kind, path, spec[0], spec[1]) for kind, paths in FACTS["fields"].items()
          for path, spec in paths.items()]


def _versions(crd: dict[str, Any]) -> list[dict[str, Any]]:
    return list(crd["spec"]["versions"])


def _schema(crd: dict[str, Any], version: str) -> dict[str, Any]:
    for entry in _versions(crd):
        if entry["name"] == version:
            return dict(entry["schema"]["openAPIV3Schema"])
    raise AssertionError(f"{crd['metadata']['name']} has no version {version}")


def _resolve(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The sub-schema at a dotted path with [] for list items (a.b[].c)."""
    node = schema
    for part in path.split("."):
        name, lists = part.rstrip("[]"), part.count("[]")
        if name:
            assert name in node.get("properties", {}), f"no field {name} in {path}"
            node = node["properties"][name]
        for _ in range(lists):
            node = node["items"]
    return node


def _walk(node: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield where, node
    for name, child in node.get("properties", {}).items():
        yield from _walk(child, f"{where}.{name}")
    if "items" in node:
        yield from _walk(node["items"], f"{where}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], f"{where}{{}}")


def _all_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, crd in BY_NAME.items():
        for version in _versions(crd):
            yield f"{name}/{version['name']}", version["schema"]["openAPIV3Schema"]


def test_the_metallb_crds_and_nothing_else() -> None:
    assert sorted(BY_NAME) == sorted(fact["name"] for fact in FACTS["crds"])


@pytest.mark.parametrize("fact", FACTS["crds"], ids=[f["kind"] for f in FACTS["crds"]])
def test_names_and_versions_match_metallb(fact: dict[str, Any]) -> None:
    crd = BY_NAME[fact["name"]]
    spec = crd["spec"]
    assert (crd["apiVersion"], crd["kind"]) == ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    assert (spec["group"], spec["scope"]) == ("metallb.io", "Namespaced")
    names = spec["names"]
    assert (names["kind"], names["plural"], names["singular"], names["listKind"]) == \
        (fact["kind"], fact["plural"], fact["singular"], fact["kind"] + "List")
    assert [v["name"] for v in _versions(crd)] == fact["versions"]
    assert [v["storage"] for v in _versions(crd)] == [True] + [False] * (len(fact["versions"]) - 1)
    assert all(v["served"] and v["subresources"] == {"status": {}} for v in _versions(crd))


@pytest.mark.parametrize("kind,path,type_,default", FIELDS, ids=[f"{k}.{p}" for k, p, _, _ in FIELDS])
def test_documented_fields(kind: str, path: str, type_: str, default: Any) -> None:
    crd = BY_KIND[kind]
    for version in _versions(crd):
        node = _resolve(_schema(crd, version["name"]), f"spec.{path}")
        assert node["type"] == type_
        assert node.get("default") == default


@pytest.mark.parametrize("name,schema", list(_all_schemas()), ids=[n for n, _ in _all_schemas()])
def test_schemas_are_structural(name: str, schema: dict[str, Any]) -> None:
    for where, node in _walk(schema, name):
        assert "type" in node, f"{where} has no type"
        assert not ("properties" in node and "additionalProperties" in node), where
        assert ("properties" in node or "additionalProperties" in node) <= (node["type"] == "object"), where
        assert ("items" in node) == (node["type"] == "array"), where
        if node["type"] == "array":
            assert node.get("x-kubernetes-list-type") in ("atomic", "set", "map"), f"{where}: list type"


@pytest.mark.parametrize("name,schema", list(_all_schemas()), ids=[n for n, _ in _all_schemas()])
def test_validation_rules_say_what_is_wrong(name: str, schema: dict[str, Any]) -> None:
    for where, node in _walk(schema, name):
        for rule in node.get("x-kubernetes-validations", []):
            assert "message" in rule or "messageExpression" in rule, f"{where}: {rule['rule']}"
            # The apiserver refuses a multi-line rule without a fixed message.
            assert "\n" not in rule["rule"] or "message" in rule, f"{where}: {rule['rule']}"


def test_printer_columns_show_existing_fields() -> None:
    expected = {"integer": "integer", "boolean": "boolean", "date": "string"}
    for name, crd in BY_NAME.items():
        for version in _versions(crd):
            columns = version["additionalPrinterColumns"]
            assert columns[-1] == {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
            for column in columns[:-1]:
                node = _resolve(version["schema"]["openAPIV3Schema"], column["jsonPath"].lstrip("."))
                if column["type"] in expected:
                    assert node["type"] == expected[column["type"]], f"{name}: {column['name']}"


def test_ipaddresspool_columns_include_usage() -> None:
    columns = {c["name"]: c["jsonPath"] for c in _versions(BY_KIND["IPAddressPool"])[0]["additionalPrinterColumns"]}
    assert columns["Addresses"] == ".spec.addresses"
    for family in ("IPv4", "IPv6"):
        assert columns[f"Assigned {family}"] == f".status.assigned{family}"
        assert columns[f"Available {family}"] == f".status.available{family}"


def test_bgppeer_versions_share_one_schema() -> None:
    crd = BY_KIND["BGPPeer"]
    old, new = _schema(crd, "v1beta1")["properties"]["spec"], _schema(crd, "v1beta2")["properties"]["spec"]
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert old["properties"] == new["properties"]
    assert old["x-kubernetes-validations"] == new["x-kubernetes-validations"]
    assert set(new["required"]) < set(old["required"]) == {"myASN", "peerASN", "peerAddress"}
    v1beta1 = _versions(crd)[1]
    assert v1beta1["deprecated"] is True and "v1beta2" in v1beta1["deprecationWarning"]


def test_crds_returns_independent_copies() -> None:
    first = crds()
    first[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"].clear()
    again = crds()
    assert again[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    assert [c["metadata"]["name"] for c in again] == sorted(BY_NAME)


def _schema_of(obj: dict[str, Any]) -> dict[str, Any]:
    group, version = obj["apiVersion"].split("/")
    return _schema(BY_KIND[obj["kind"]], version)


@pytest.mark.parametrize("obj", SAMPLES["valid"], ids=[o["kind"] + "/" + o["apiVersion"] for o in SAMPLES["valid"]])
def test_metallb_style_objects_fit(obj: dict[str, Any]) -> None:
    assert problems(_schema_of(obj), obj) == []


@pytest.mark.parametrize("case", SAMPLES["invalid"], ids=[c["expect"] for c in SAMPLES["invalid"]])
def test_invalid_objects_are_caught(case: dict[str, Any]) -> None:
    found = problems(_schema_of(case["object"]), case["object"])
    assert any(case["expect"] in problem for problem in found), found
