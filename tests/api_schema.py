"""Turn the served OpenAPI 3.0 schemas into plain JSON Schema for response checks in tests."""

from __future__ import annotations

from typing import Any

import jsonschema


def to_jsonschema(schema: Any, components: dict) -> Any:
    if isinstance(schema, list):
        return [to_jsonschema(s, components) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return to_jsonschema(components[schema["$ref"].rsplit("/", 1)[1]], components)
    out = {k: to_jsonschema(v, components) for k, v in schema.items() if k not in ("nullable", "example", "format")}
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def validate(doc: dict, component: str, payload: Any, *, many: bool) -> None:
    components = doc["components"]["schemas"]
    schema = to_jsonschema({"$ref": f"#/components/schemas/{component}"}, components)
    if many:
        schema = {"type": "array", "items": schema}
    jsonschema.validate(payload, schema)
