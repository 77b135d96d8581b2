"""Setup's side-by-side steps: every one ends before the call returns or raises; the first failure wins."""

import threading
import time

import pytest

from kfsm_lab.provision.side_by_side import side_by_side


def test_results_come_back_in_order_and_the_others_ran_on_workers():
    seen = []
    first, rest = side_by_side(lambda: threading.current_thread().name,
                               lambda: seen.append(threading.current_thread().name) or 1, lambda: 2, name="kfsm-t")
    assert first == threading.current_thread().name and rest == [1, 2]
    assert seen[0].startswith("kfsm-t")


def test_a_failing_first_still_waits_for_the_others_and_its_error_wins():
    ended = threading.Event()

    def slow():
        time.sleep(0.2)
        ended.set()
        raise RuntimeError("other")

    def first():
        raise ValueError("first")

    with pytest.raises(ValueError, match="first"):
        side_by_side(first, slow, name="kfsm-t")
    assert ended.is_set()


def test_an_others_failure_is_raised_once_first_has_ended():
    done = []
    with pytest.raises(RuntimeError, match="other"):
        side_by_side(lambda: done.append(1), lambda: (_ for _ in ()).throw(RuntimeError("other")), name="kfsm-t")
    assert done == [1]
