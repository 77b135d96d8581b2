"""One registry type for every SageMaker resource kind, and the one pagination scheme of the List* calls.

Names are unique per kind, case-insensitively (the service lower-cases them in ARNs). A kind
knows how the service words "not found" and "already exists" for it, so the backend's
get/delete/create paths are the same code for training jobs, models, endpoint configs,
endpoints, transform jobs and tuning jobs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from . import errors
from .resources import Resource

R = TypeVar("R", bound=Resource)

ErrorFactory = Callable[[str, str], errors.SageMakerError]  # (name, arn) -> error


class Registry(Generic[R]):
    """The resources of one kind in one region; the backend's lock guards every call."""

    def __init__(self, arn_kind: str, missing: ErrorFactory, exists: ErrorFactory,
                 status_of: Callable[[R], str] | None = None) -> None:
        self.arn_kind = arn_kind
        self._missing = missing
        self._exists = exists
        self.status_of = status_of
        self._items: dict[str, R] = {}

    def get(self, name: str | None, arn: str = "") -> R:
        item = self._items.get((name or "").lower())
        if item is None:
            raise self._missing(name or "", arn)
        return item

    def find(self, name: str | None) -> R | None:
        return self._items.get((name or "").lower())

    def add(self, item: R) -> R:
        if item.name.lower() in self._items:
            raise self._exists(item.name, item.arn)
        self._items[item.name.lower()] = item
        return item

    def put(self, item: R) -> None:
        """Insert without the uniqueness check (restoring saved state)."""
        self._items[item.name.lower()] = item

    def remove(self, name: str, arn: str = "") -> R:
        self.get(name, arn)
        return self._items.pop(name.lower())

    def discard(self, item: R) -> None:
        if self._items.get(item.name.lower()) is item:
            del self._items[item.name.lower()]

    def values(self) -> list[R]:
        return list(self._items.values())

    def __iter__(self) -> Iterator[R]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)


# --- listing -------------------------------------------------------------------------------------

def token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"kfsm:{offset}".encode()).decode()


def offset(next_token: str | None) -> int:
    if not next_token:
        return 0
    try:
        kind, _, num = base64.urlsafe_b64decode(next_token.encode()).decode().partition(":")
        if kind == "kfsm" and num.isdigit():
            return int(num)
    except (ValueError, UnicodeDecodeError):
        pass
    raise errors.ValidationException(f"Invalid pagination token: {next_token}")


def page(items: list[Any], req: dict[str, Any], default_size: int = 10) -> tuple[list[Any], str | None]:
    """One page of ``items`` per ``NextToken``/``MaxResults`` (the same token for every List* call)."""
    size = int(req.get("MaxResults") or default_size)
    start = offset(req.get("NextToken"))
    chunk = items[start:start + size]
    return chunk, (token(start + size) if start + size < len(items) else None)


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    from datetime import datetime

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def select(items: list[R], req: dict[str, Any], status_of: Callable[[R], str] | None = None,
           sort_keys: dict[str, Callable[[R], Any]] | None = None,
           default_sort: str = "CreationTime") -> list[R]:
    """Filter and sort ``items`` as the List* operations do (NameContains, StatusEquals, time bounds)."""
    sel = list(items)
    if req.get("NameContains"):
        sel = [r for r in sel if req["NameContains"].lower() in r.name.lower()]
    if req.get("StatusEquals") and status_of is not None:
        sel = [r for r in sel if status_of(r) == req["StatusEquals"]]
    for key, attr, cmp in (("CreationTimeAfter", "created", 1), ("CreationTimeBefore", "created", -1),
                           ("LastModifiedTimeAfter", "modified", 1), ("LastModifiedTimeBefore", "modified", -1)):
        if req.get(key) is not None:
            bound = _epoch(req[key])
            sel = [r for r in sel if (getattr(r, attr) - bound) * cmp > 0]
    keys: dict[str, Callable[[R], Any]] = {
        "Name": lambda r: r.name, "CreationTime": lambda r: r.created,
        "Status": lambda r: (status_of(r) if status_of else "") or "", **(sort_keys or {})}
    sort_by = req.get("SortBy") or default_sort
    sel.sort(key=keys.get(sort_by, keys["CreationTime"]),
             reverse=(req.get("SortOrder") or "Descending") == "Descending")
    return sel


def listing(registry: Registry[R], req: dict[str, Any], key: str, render: Callable[[R], dict[str, Any]],
            sort_keys: dict[str, Callable[[R], Any]] | None = None) -> dict[str, Any]:
    """A whole List* answer: ``{key: [...], "NextToken"?: ...}``."""
    chunk, nxt = page(select(registry.values(), req, registry.status_of, sort_keys), req)
    out: dict[str, Any] = {key: [render(r) for r in chunk]}
    if nxt:
        out["NextToken"] = nxt
    return out
