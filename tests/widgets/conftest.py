import pytest


@pytest.fixture()
def own_state(tmp_path, monkeypatch):
    """A state folder of the test's own (no local cloud in it), for tests that need no cloud."""
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KFSM_LANG", raising=False)
    return tmp_path / "state"
