"""Strict checks of what the server sends against the official SDK's own pydantic types.

The SDK parses leniently (unknown fields are kept as extras, wrong types pass through `construct`), so a
message can "parse" and still be wrong. `strictly` validates with pydantic and refuses any field the type
does not declare, at every depth.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def strictly(model: type[M], body: dict[str, Any]) -> M:
    """`body` validated as `model`, failing on a missing or mistyped field or on one the SDK does not know."""
    parsed = model.model_validate(body)
    _no_extras(parsed, model.__name__)
    return parsed


def _no_extras(value: Any, where: str) -> None:
    if isinstance(value, BaseModel):
        extra = value.model_extra or {}
        assert not extra, f"{where}: fields the SDK's type does not declare: {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extras(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _no_extras(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_extras(item, f"{where}[{key!r}]")
