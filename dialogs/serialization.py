"""Versioned JSON for the conversation aggregate (never pickle).

``dumps`` writes UTF-8 JSON with ``schema_version``; ``loads`` rebuilds the frozen dataclasses
from their type hints and refuses documents of an unknown schema version or shape with
``SerializationError``. Unknown keys are ignored so a newer writer's additions survive a read.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any, Literal, TypeVar, Union

from dialogs.conversation import SCHEMA_VERSION, Conversation

T = TypeVar("T")


class SerializationError(ValueError):
    """A stored document cannot be read as a conversation."""


def to_dict(conversation: Conversation) -> dict[str, Any]:
    return dataclasses.asdict(conversation)


def dumps(conversation: Conversation) -> bytes:
    return json.dumps(to_dict(conversation), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def loads(data: bytes | str) -> Conversation:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError(f"not JSON: {exc}") from exc
    return from_dict(raw)


def from_dict(raw: Any) -> Conversation:
    if not isinstance(raw, dict):
        raise SerializationError("a conversation must be a JSON object")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SerializationError(f"unsupported schema_version {version!r}")
    return _build(Conversation, raw, "conversation")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise SerializationError(f"{path}: expected an object")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = _build(hints[f.name], value[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SerializationError(f"{path}.{f.name}: missing")
        return tp(**kwargs)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _build(inner, value, path)
    if origin is Literal:
        if value not in args:
            raise SerializationError(f"{path}: {value!r} is not one of {args}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise SerializationError(f"{path}: expected a list")
        return tuple(_build(args[0], item, f"{path}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise SerializationError(f"{path}: expected an object")
        return {str(k): _build(args[1], v, f"{path}.{k}") for k, v in value.items()}
    if tp in (str, int, bool):
        if type(value) is not tp:
            raise SerializationError(f"{path}: expected {tp.__name__}")
        return value
    raise SerializationError(f"{path}: unsupported type {tp!r}")  # pragma: no cover
