"""Setup's steps that mostly wait on the cloud's answers, run side by side."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def side_by_side(first: Callable[[], T], *others: Callable[[], U], name: str) -> tuple[T, list[U]]:
    """``first()`` on this thread while each of ``others`` runs on a worker thread named after ``name``.

    Returns once all have ended (a failure does not cut the others short); the first failure in argument
    order is the one raised.
    """
    with cf.ThreadPoolExecutor(max_workers=max(1, len(others)), thread_name_prefix=name) as pool:
        later = [pool.submit(fn) for fn in others]
        result = first()  # on a failure the pool's exit still waits for the others before it propagates
    return result, [f.result() for f in later]
