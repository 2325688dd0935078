"""Type hints to JSON Schema, and checking arguments against that schema.

A tool's schema is derived from its signature, never written by hand, and the
arguments a model sends are checked against the very schema the model was
shown. Only the small subset of JSON Schema that type hints produce is
supported: `type`, `enum`, `items`, `additionalProperties`, `anyOf` and
objects with `properties`/`required`.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}
_JSON_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


def schema_for(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a type hint; `TypeError` for one JSON cannot carry."""
    if annotation is Any:
        return {}
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    if annotation is type(None) or annotation is None:
        return {"type": "null"}
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is list or origin is list:
        return {"type": "array", **({"items": schema_for(args[0])} if args else {})}
    if annotation is dict or origin is dict:
        if args and args[0] is not str:
            raise TypeError(f"JSON object keys are strings, not {args[0]!r}")
        extra = {"additionalProperties": schema_for(args[1])} if args else {}
        return {"type": "object", **extra}
    if origin is Literal:
        kinds = {_JSON_TYPES[type(value)] for value in args}
        return {
            "enum": list(args),
            **({"type": kinds.pop()} if len(kinds) == 1 else {}),
        }
    if origin is Union or origin is types.UnionType:
        return {"anyOf": [schema_for(arg) for arg in args]}
    raise TypeError(f"no JSON schema for type {annotation!r}")


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _is_type(value: Any, expected: str) -> bool:
    actual = _json_type(value)
    # Every integer is a number in JSON: accept 2 where 2.0 is expected.
    return actual == expected or (expected == "number" and actual == "integer")


def problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """What is wrong with `value` under `schema`, each naming `where` it is."""
    if "anyOf" in schema:
        if any(not problems(value, option, where) for option in schema["anyOf"]):
            return []
        expected = " or ".join(_describe(option) for option in schema["anyOf"])
        return [f"{where} must be {expected}, got {_shown(value)}"]
    expected = schema.get("type")
    if expected is not None and not _is_type(value, expected):
        return [f"{where} must be {_describe(schema)}, got {_shown(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where} must be one of {schema['enum']!r}, got {_shown(value)}"]
    if expected == "array" and "items" in schema:
        return [
            problem
            for index, item in enumerate(value)
            for problem in problems(item, schema["items"], f"{where}[{index}]")
        ]
    if expected == "object" and "additionalProperties" in schema:
        return [
            problem
            for key, item in value.items()
            for problem in problems(
                item, schema["additionalProperties"], f"{where}[{key!r}]"
            )
        ]
    return []


def _describe(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return f"one of {schema['enum']!r}"
    kind = schema.get("type")
    return {
        "integer": "an integer",
        "array": "an array",
        "object": "an object",
        "null": "null",
        None: "any value",
    }.get(kind, f"a {kind}")


def _shown(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{_json_type(value)} {shown}"
