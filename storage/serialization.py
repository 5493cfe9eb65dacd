"""Versioned JSON for stored records (never pickle): one ``Codec`` per stored type.

``Codec(cls, version, migrations)`` writes a frozen dataclass as UTF-8 JSON with a
``schema_version`` field and reads it back from its type hints. A document of an older version
is brought up to date by ``migrations[v]`` (a function of the raw JSON object of version ``v``
returning that of version ``v + 1``), one step at a time, before it is read; a document of an
unknown version or shape is refused with ``SerializationError`` naming the path of the offending
value. Unknown keys are ignored so a newer writer's additions survive a read.

Every load and save of a press goes through here, so the work per type (hints, fields, child
readers) is done once per type and cached, and error paths are built only when raising.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Generic, Literal, TypeVar, Union

T = TypeVar("T")
Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]
Migration = Callable[[dict[str, Any]], dict[str, Any]]
VERSION_KEY = "schema_version"


class SerializationError(ValueError):
    """A stored document cannot be read as the type its codec is for."""


class _Invalid(Exception):
    """A value of the wrong shape; ``path`` grows from the inside out as it propagates."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


class Codec(Generic[T]):
    """JSON for one dataclass type ``cls`` at schema ``version``, reading older versions
    through ``migrations``. ``name`` starts the path in error messages (e.g. ``conversation``).
    The dataclass must have a ``schema_version: int`` field defaulting to ``version``."""

    def __init__(
        self,
        cls: type[T],
        version: int,
        migrations: Mapping[int, Migration] | None = None,
        *,
        name: str = "",
    ) -> None:
        self.cls = cls
        self._hashable_cls: Any = cls  # a class is hashable; the cache keys on it
        self.version = version
        self.migrations = dict(migrations or {})
        self.name = name or cls.__name__.lower()
        missing = [v for v in range(1, version) if v not in self.migrations]
        if missing:
            raise ValueError(f"{self.name}: no migration from schema version(s) {missing}")

    def to_dict(self, value: T) -> dict[str, Any]:
        return typing.cast(dict[str, Any], _writer(self._hashable_cls)(value))

    def dumps(self, value: T) -> bytes:
        return json.dumps(self.to_dict(value), ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )

    def loads(self, data: bytes | str) -> T:
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SerializationError(f"not JSON: {exc}") from exc
        return self.from_dict(raw)

    def from_dict(self, raw: Any) -> T:
        if not isinstance(raw, dict):
            raise SerializationError(f"a {self.name} must be a JSON object")
        version = raw.get(VERSION_KEY)
        if (
            isinstance(version, bool)
            or not isinstance(version, int)
            or not (1 <= version <= self.version)
        ):
            raise SerializationError(f"unsupported schema_version {version!r}")
        while version < self.version:
            try:
                raw = self.migrations[version](raw)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise SerializationError(
                    f"{self.name}: cannot migrate schema_version {version} ({type(exc).__name__})"
                ) from None
            version += 1
            raw[VERSION_KEY] = version
        try:
            return typing.cast(T, _reader(self._hashable_cls)(raw))
        except _Invalid as invalid:
            path = self.name + "".join(reversed(invalid.path))
            raise SerializationError(f"{path}: {invalid.problem}") from None


# -- reading ----------------------------------------------------------------------------------


@cache
def _reader(tp: Any) -> Reader:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_reader(tp)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        read_inner = _reader(inner)
        return lambda value: None if value is None else read_inner(value)
    if origin is Literal:
        allowed = args

        def literal(value: Any) -> Any:
            if value not in allowed:
                raise _Invalid(f"{value!r} is not one of {allowed}")
            return value

        return literal
    if origin is tuple:
        return _tuple_reader(_reader(args[0]))
    if origin is dict:
        return _dict_reader(_reader(args[1]))
    if tp in (str, int, bool):
        return _scalar_reader(tp)
    raise TypeError(f"unsupported type {tp!r}")  # pragma: no cover - a programming error


def _dataclass_reader(cls: type) -> Reader:
    hints = typing.get_type_hints(cls)
    fields = [
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    ]
    readers: dict[str, Reader] = {}  # filled on first use: the types may refer to each other

    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _Invalid("expected an object")
        if not readers:
            readers.update({name: _reader(hint) for name, hint, _ in fields})
        kwargs = {}
        for name, _, required in fields:
            if name in value:
                try:
                    kwargs[name] = readers[name](value[name])
                except _Invalid as invalid:
                    invalid.path.append(f".{name}")
                    raise
            elif required:
                missing = _Invalid("missing")
                missing.path.append(f".{name}")
                raise missing
        return cls(**kwargs)

    return read


def _tuple_reader(item: Reader) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, list):
            raise _Invalid("expected a list")
        try:
            return tuple([item(v) for v in value])
        except _Invalid as invalid:
            for i, v in enumerate(value):  # find which item, only when reporting
                try:
                    item(v)
                except _Invalid:
                    invalid.path.append(f"[{i}]")
                    break
            raise

    return read


def _dict_reader(item: Reader) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _Invalid("expected an object")
        out = {}
        for k, v in value.items():
            try:
                out[str(k)] = item(v)
            except _Invalid as invalid:
                invalid.path.append(f".{k}")
                raise
        return out

    return read


def _scalar_reader(tp: type) -> Reader:
    def read(value: Any) -> Any:
        if type(value) is not tp:
            raise _Invalid(f"expected {tp.__name__}")
        return value

    return read


# -- writing ----------------------------------------------------------------------------------


@cache
def _writer(tp: Any) -> Writer:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_writer(tp)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        write_inner = _writer(inner)
        return lambda value: None if value is None else write_inner(value)
    if origin is tuple:
        write_item = _writer(args[0])
        return lambda value: [write_item(v) for v in value]
    if origin is dict:
        write_value = _writer(args[1])
        return lambda value: {k: write_value(v) for k, v in value.items()}
    return _same


def _same(value: Any) -> Any:
    return value


def _dataclass_writer(cls: type) -> Writer:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    writers: list[tuple[str, Writer]] = []  # filled on first use, like the readers

    def write(value: Any) -> Any:
        if not writers:
            writers.extend((name, _writer(hints[name])) for name in names)
        return {name: w(getattr(value, name)) for name, w in writers}

    return write
