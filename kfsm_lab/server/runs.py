"""Recent pipeline runs for the runs panel, from the pipeline package's run records."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def recent_runs(limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` recent runs as plain dicts; [] while the pipeline package is not installed."""
    try:
        from ..pipeline import list_runs
    except ImportError as exc:
        # Only "the pipeline package (or its list_runs) is not there" means no runs; a broken import
        # inside it is a real error and must show.
        if exc.name not in ("kfsm_lab.pipeline", __package__.rsplit(".", 1)[0] + ".pipeline"):
            raise
        log.debug("kfsm_lab.pipeline is not importable: %s", exc)
        return []
    return list(list_runs(limit=limit))
