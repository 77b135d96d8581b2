"""What each button may do right now, and the one status line — pure functions of a :class:`Progress`.

No I/O, no threads, no widgets: the same picture always gives the same answer, so tests state the
rules directly and every view that asks gets the same reply.
"""

from __future__ import annotations

from typing import Any

from ..i18n import state_word, step_label, t
from .snapshot import GONE, Progress

ACTIONS: tuple[str, ...] = ("check", "setup", "run_pipeline", "predict", "cleanup", "cancel")
#: Actions that take the panel's one busy slot (``cancel`` must work while a run goes).
LONG_ACTIONS: tuple[str, ...] = ACTIONS[:-1]


def label(action: str, lang: str) -> str:
    return t(lang, f"action.{action}") if action in ACTIONS else action


def why_not(action: str, p: Progress, lang: str) -> str | None:
    """Why ``action`` is unavailable in picture ``p`` (in ``lang``), or None when it may run."""
    if action not in ACTIONS:
        return t(lang, "why.unknown_action", action=action)
    if action == "cancel":
        return None if p.run_active else t(lang, "why.no_active_run")
    if p.busy is not None:
        return t(lang, "why.busy", action=label(p.busy, lang))
    if p.cell_running:
        return t(lang, "why.cell_running")
    bad = next((e for e in p.field_errors.values() if e), None)
    if bad:
        return t(lang, "why.fields_invalid", message=bad)
    if action == "check":
        return None
    if p.run_active and action in ("setup", "run_pipeline", "cleanup"):
        return t(lang, "why.run_active", run_id=p.run_id)
    if action == "setup":
        return None
    if action == "run_pipeline":
        if p.setup is None:
            return t(lang, "why.setup_lost") if p.setup_lost else t(lang, "why.needs_setup")
        return None
    if action == "predict":
        if not p.run_succeeded:
            return t(lang, "why.needs_run")
        if p.endpoint_status == GONE:
            return t(lang, "why.endpoint_gone", endpoint=p.endpoint)
        if not p.endpoint_live:
            return t(lang, "why.endpoint_not_ready", endpoint=p.endpoint, status=p.endpoint_status or "?")
        return None
    # cleanup: something of the kit's is there to delete
    if p.setup is None and p.run is None and not p.setup_lost:
        return t(lang, "why.nothing_created")
    if p.run is not None and p.setup is None and p.endpoint_status == GONE and p.cleanup is not None \
            and p.cleanup["at"] >= (p.run.get("finished_at") or 0):
        return t(lang, "why.nothing_created")
    return None


def next_step(p: Progress) -> str | None:
    """The exercise's next step in picture ``p`` (the panel makes it the primary button)."""
    if p.run_active:
        return None
    if p.setup is None:
        return "setup"
    if not p.run_succeeded or p.endpoint_status == GONE:
        return "run_pipeline"
    if p.endpoint_live and p.prediction is None:
        return "predict"
    return None


def enabled(p: Progress, lang: str = "en") -> set[str]:
    return {a for a in ACTIONS if why_not(a, p, lang) is None}


def newest(p: Progress) -> float:
    """When the newest thing in the picture happened (a run start or end, a journal entry)."""
    times = [e["at"] for e in (p.setup, p.prediction, p.cleanup) if e]
    if p.run:
        times += [v for v in (p.run.get("created_at"), p.run.get("finished_at")) if v]
    return max(times, default=0.0)


def status(p: Progress, lang: str, last_action: tuple[str, dict[str, Any], float] | None = None,
           failed: str | None = None) -> str:
    """The one status line for picture ``p``.

    ``last_action`` is (message key, values, when) of the panel's last finished action (check, setup,
    predict, clean-up) — shown until something newer happens; ``failed`` is the action whose failure
    the error box shows.
    """
    if p.busy is not None:
        return t(lang, "status.busy", action=label(p.busy, lang))
    if any(p.field_errors.values()):
        return t(lang, "status.fix_fields")
    if failed:
        return t(lang, "status.failed", action=label(failed, lang))
    run = p.run
    if run is not None and p.run_active:
        cur = p.current_step()
        if cur is not None:
            i, st = cur
            detail = " / ".join(str(v) for v in (st.get("job_status"), st.get("secondary_status")) if v)
            return t(lang, "status.run_progress", run_id=p.run_id, current=i, total=len(p.steps),
                     step=step_label(st, lang), detail=detail or state_word(st.get("state"), lang))
        return t(lang, "status.run_waiting", run_id=p.run_id, state=state_word(p.run_state, lang))
    gone = run is not None and p.run_succeeded and p.endpoint_status == GONE
    if gone and (last_action is None or last_action[0] == "status.predict_done" or last_action[2] < newest(p)):
        return t(lang, "status.run_succeeded_gone", run_id=p.run_id, endpoint=p.endpoint)
    if last_action is not None and last_action[2] >= newest(p):
        key, values, _ = last_action
        return t(lang, key, **values)
    if p.cell_running and run is None:
        return t(lang, "status.cell_running")
    if run is not None and p.prediction is not None and p.endpoint_live:
        return t(lang, "status.predict_done", endpoint=p.prediction.get("endpoint"),
                 accuracy=f"{p.prediction.get('accuracy', 0):.1%}")
    if run is not None and p.run_succeeded:
        if p.endpoint_status == GONE:
            return t(lang, "status.run_succeeded_gone", run_id=p.run_id, endpoint=p.endpoint)
        return t(lang, "status.run_succeeded", run_id=p.run_id, endpoint=p.endpoint)
    if run is not None and p.run_state in ("failed", "canceled") and p.setup is not None:
        return t(lang, "status.run_failed", run_id=p.run_id, state=state_word(p.run_state, lang))
    if p.setup_lost:
        return t(lang, "status.setup_lost")
    if p.setup is not None:
        return t(lang, "status.setup_done", role_arn=p.setup.get("role_arn"), bucket=p.setup.get("bucket"))
    return t(lang, "status.ready")
