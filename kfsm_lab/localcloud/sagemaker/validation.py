"""Check a control-plane request against SageMaker's own API model (botocore's ``service-2.json``).

The service validates every request before any operation runs: a value of the wrong JSON type is a
``SerializationException``; a missing required member, a length, range, enum or pattern violation
is a ``ValidationException`` listing every problem as ``Value '…' at 'memberPath' failed to satisfy
constraint: …`` (member paths in lowerCamelCase, list items as ``tags.1.member.key``). Reading the
model instead of hand-writing checks keeps the local cloud's limits the service's limits (names of
at most 63 characters, MaxResults 1-100, enums) for every operation at once.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from . import errors

MAX_REPORTED = 10  # the service lists every violation; this many keep the message readable


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    from ...aws import botocore_session

    return botocore_session().get_service_model("sagemaker")


@functools.lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:  # a Java-only construct: the service checks it, the local cloud cannot
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    if value is None:
        return "VALUE_NULL"
    return "START_ARRAY" if isinstance(value, list) else "START_OBJECT"


def _serialization(value: Any, type_name: str) -> errors.SageMakerError:
    if isinstance(value, list):
        text = "Start of list found where not expected"
    elif isinstance(value, dict):
        text = "Start of structure or map found where not expected."
    else:
        article = "an" if type_name[:1] in "AEIOU" else "a"
        text = f"{_json_kind(value)} can not be converted to {article} {type_name}"
    return errors.SageMakerError(text, "SerializationException")


def _shown(value: Any) -> str:
    return str(value)[:200]


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{_shown(value)}'"
        self.problems.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, shape: Any, value: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(value, dict):
                raise _serialization(value, "Structure")
            for name in shape.required_members:
                if value.get(name) is None:
                    self.fail(None, f"{path}.{_camel(name)}" if path else _camel(name), "Member must not be null")
            for name, member in shape.members.items():
                if name in value and value[name] is not None:
                    self.check(member, value[name], f"{path}.{_camel(name)}" if path else _camel(name))
            return
        if kind == "list":
            if not isinstance(value, list):
                raise _serialization(value, "List")
            self._length(meta, value, path)
            for i, item in enumerate(value, 1):
                if item is None:
                    continue
                self.check(shape.member, item, f"{path}.{i}.member")
            return
        if kind == "map":
            if not isinstance(value, dict):
                raise _serialization(value, "Map")
            self._length(meta, value, path)
            for k, v in value.items():
                self.check(shape.key, k, f"{path}.key")
                if v is not None:
                    self.check(shape.value, v, f"{path}.{k}")
            return
        if kind == "string":
            if not isinstance(value, str):
                raise _serialization(value, "String")
            self._length(meta, value, path)
            if shape.enum and value not in shape.enum:
                self.fail(value, path, "Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
            pattern = meta.get("pattern")
            if pattern and (compiled := _pattern(pattern)) is not None and not compiled.fullmatch(value):
                shown = pattern if pattern.startswith("^") else "^" + pattern
                self.fail(value, path, f"Member must satisfy regular expression pattern: {shown}")
            return
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise _serialization(value, "Integer" if kind == "integer" else "Long")
            self._range(meta, value, path)
            return
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _serialization(value, "Float" if kind == "float" else "Double")
            self._range(meta, value, path)
            return
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _serialization(value, "Boolean")
            return
        if kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise _serialization(value, "Date")
            if isinstance(value, str):
                from datetime import datetime

                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    try:
                        float(value)
                    except ValueError:
                        raise errors.SageMakerError(f"Unable to parse date: {value[:100]}",
                                                    "SerializationException") from None
            return
        if kind == "blob" and not isinstance(value, str):
            raise _serialization(value, "Blob")

    def _length(self, meta: dict[str, Any], value: Any, path: str) -> None:
        n = len(value)
        if "max" in meta and n > meta["max"]:
            self.fail(value, path, f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and n < meta["min"]:
            self.fail(value, path, f"Member must have length greater than or equal to {meta['min']}")

    def _range(self, meta: dict[str, Any], value: float, path: str) -> None:
        if "max" in meta and value > meta["max"]:
            self.fail(value, path, f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            self.fail(value, path, f"Member must have value greater than or equal to {meta['min']}")


def validate(operation: str, request: Any) -> None:
    """Raise the service's error for a request that does not fit ``operation``'s input shape."""
    try:
        op = _model().operation_model(operation)
    except Exception:  # noqa: BLE001 - an operation botocore does not know is refused elsewhere
        return
    shape = op.input_shape
    if shape is None:
        if not isinstance(request, dict):
            raise _serialization(request, "Structure")
        return
    checker = _Checker()
    checker.check(shape, request, "")
    if checker.problems:
        n = len(checker.problems)
        shown = checker.problems[:MAX_REPORTED]
        raise errors.ValidationException(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(shown))
