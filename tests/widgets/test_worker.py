"""The panel's worker: one action at a time, and ``join`` returns only once the action's report is made."""

from __future__ import annotations

import threading
import time

import pytest

from kfsm_lab.widgets.worker import Busy, Worker


def test_join_waits_for_the_report_not_just_the_free_slot():
    """The slot is freed before ``on_done`` runs; a caller of ``join`` must still find the result recorded."""
    recorded: dict[str, object] = {}

    def on_done(action: str, result: object, exc: BaseException | None) -> None:
        time.sleep(0.3)  # a slow listener (the panel refreshes and redraws here)
        recorded[action] = result

    worker = Worker(on_done)
    worker.claim("run_pipeline")
    worker.run("run_pipeline", lambda: "the handle")
    assert worker.join(10)
    assert recorded == {"run_pipeline": "the handle"}


def test_join_times_out_while_the_action_runs():
    gate = threading.Event()
    worker = Worker(lambda *_: None)
    worker.claim("setup")
    worker.run("setup", gate.wait)
    assert worker.join(0.2) is False
    gate.set()
    assert worker.join(10)


def test_a_listener_may_wait_from_the_worker_thread():
    """``on_done`` runs on the worker's thread; a listener there that waits must not join its own thread."""
    waited: list[bool] = []
    worker = Worker(lambda *_: waited.append(worker.join(1)))
    worker.claim("check")
    worker.run("check", lambda: None)
    assert worker.join(10)
    assert waited == [True]


def test_one_action_at_a_time():
    worker = Worker(lambda *_: None)
    worker.claim("setup")
    with pytest.raises(Busy):
        worker.claim("check")
    worker.release()
    worker.claim("check")
