"""An environment variable set for a block comes back as it was: unset, or its old value, even on an error."""

from __future__ import annotations

import os

import pytest

from kfsm_lab.environ import variable


def test_an_unset_variable_is_unset_again(monkeypatch):
    monkeypatch.delenv("KFSM_TEST_VAR", raising=False)
    with variable("KFSM_TEST_VAR", "on"):
        assert os.environ["KFSM_TEST_VAR"] == "on"
    assert "KFSM_TEST_VAR" not in os.environ


def test_an_old_value_comes_back_after_an_error(monkeypatch):
    monkeypatch.setenv("KFSM_TEST_VAR", "old")
    with pytest.raises(RuntimeError), variable("KFSM_TEST_VAR", "new"):
        assert os.environ["KFSM_TEST_VAR"] == "new"
        raise RuntimeError("boom")
    assert os.environ["KFSM_TEST_VAR"] == "old"
