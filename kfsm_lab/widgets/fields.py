"""The panel's four fields: their names, and one friendly sentence for a value that is not valid.

The sentence says what a valid value looks like, in the panel's language; where the value itself
shows the fix (an ``s3://`` URI, upper case, a bare role name) it names the value to type instead.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ValidationError
from ..i18n import t

FIELDS: tuple[str, ...] = ("target", "region", "role_arn", "bucket")
OPTIONAL: frozenset[str] = frozenset({"role_arn", "bucket"})  # empty: setup creates or picks them


def _check(name: str) -> Callable[[object], object] | None:
    from .. import validation

    def target(v: object) -> object:
        if v not in ("local", "aws"):
            raise ValidationError("target", v, "must be 'local' or 'aws'")
        return v

    return {"role_arn": validation.role_arn, "bucket": validation.bucket_name, "region": validation.region,
            "target": target}.get(name)


def _sentence(name: str, value: str, lang: str) -> str:
    text = value.strip()
    if name == "role_arn" and text and not text.startswith("arn:") and " " not in text and "/" not in text:
        return t(lang, "invalid.role_arn_name", name=text)
    if name == "bucket":
        if text.startswith("s3://"):
            return t(lang, "invalid.bucket_uri", name=text[5:].split("/")[0])
        if text.lower() != text and _check("bucket") is not None:
            try:
                _check("bucket")(text.lower())  # type: ignore[misc]
                return t(lang, "invalid.bucket_upper", name=text.lower())
            except ValidationError:
                pass
    return t(lang, f"invalid.{name}")


def message(name: str, value: object, lang: str) -> str | None:
    """The sentence for a bad ``value`` of field ``name``, or None when it is valid."""
    check = _check(name)
    if check is None:
        return t(lang, "invalid.unknown_field", name=name)
    text = "" if value is None else str(value)
    if name in OPTIONAL and not text.strip():
        return None
    try:
        check(text)
    except ValidationError:
        return _sentence(name, text, lang)
    return None
