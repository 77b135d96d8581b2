"""The controller without any widget and without a cloud: fields, validation, what is enabled, errors."""

import subprocess
import sys

import pytest

from kfsm_lab import journal
from kfsm_lab.config import load_settings
from kfsm_lab.errors import ValidationError
from kfsm_lab.widgets import ActionUnavailable, Controller

BAD_ARN = "arn:aws:iam::12345:role/eksworkshop-sagemaker-kfp-role"
GOOD_ARN = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture()
def ctl(own_state):
    c = Controller(load_settings(target="aws", region="us-west-2"), lang="en")
    yield c
    c.close()


def test_controller_module_never_imports_ipywidgets(own_state):
    code = ("import sys, kfsm_lab.widgets as kw; c = kw.Controller(lang='en'); c.validate_field('bucket', 'x'); "
            "c.can('setup'); assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules, "
            "sorted(m for m in sys.modules if 'widget' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name,value", [("role_arn", GOOD_ARN), ("role_arn", ""), ("bucket", ""),
                                        ("bucket", "my-bucket-1"), ("region", "eu-central-1"),
                                        ("target", "aws"), ("role_arn", f"  {GOOD_ARN}\n")])
def test_valid_values_have_no_message(ctl, name, value):
    assert ctl.validate_field(name, value) is None


def test_bad_values_get_one_friendly_sentence_in_both_languages(ctl):
    en = ctl.validate_field("role_arn", BAD_ARN)
    assert "12-digit account" in en and "123456789012" in en and "Hint" not in en and en.count(".") <= 3
    assert "arn:aws:iam::123456789012:role/my-role" in ctl.validate_field("role_arn", "my-role")
    assert "'my-bucket'" in ctl.validate_field("bucket", "s3://my-bucket/data")
    assert "'bad-bucket'" in ctl.validate_field("bucket", "Bad-Bucket")
    assert "[" not in ctl.validate_field("bucket", "a_b")  # no raw lists of characters
    ctl.lang = "ja"
    ja = ctl.validate_field("role_arn", BAD_ARN)
    assert ja.startswith("ロール ARN は") and "12 桁" in ja
    assert "バケット名" in ctl.validate_field("bucket", "a_b")
    assert "リージョン" in ctl.validate_field("region", "mars-central-9")
    assert "local" in ctl.validate_field("target", "gcp")
    assert "'nope'" in ctl.validate_field("nope", "x")


def test_set_field_stores_and_emits(ctl):
    events = []
    ctl.add_listener(events.append)
    assert ctl.set_field("bucket", "Bad_Bucket") is not None
    assert ctl.fields["bucket"] == "Bad_Bucket"  # kept as typed, so the user can fix it
    field_events = [e for e in events if e.kind == "field"]
    assert field_events[-1].data["name"] == "bucket" and field_events[-1].data["error"]
    assert events[-1].kind == "snapshot"  # and the picture was re-read with the new value
    with pytest.raises(ValidationError):
        ctl.settings()
    assert ctl.set_field("bucket", " good-bucket-1 ") is None
    assert ctl.settings().bucket == "good-bucket-1"
    with pytest.raises(ValidationError):
        ctl.set_field("kfp_host", "x")


def test_initial_enabled_actions(ctl):
    assert ctl.can("check") and ctl.can("setup")
    assert not ctl.can("run_pipeline") and "Set up" in ctl.why_not("run_pipeline")
    assert not ctl.can("predict") and not ctl.can("cleanup") and not ctl.can("cancel")
    assert not ctl.busy and ctl.last_error is None and ctl.error is None
    assert ctl.status.startswith("Ready")


def test_an_invalid_field_disables_everything(ctl):
    ctl.set_field("role_arn", BAD_ARN)
    assert [a for a in ("check", "setup", "run_pipeline", "predict", "cleanup") if ctl.can(a)] == []
    assert "12-digit" in ctl.why_not("setup")
    ctl.set_field("role_arn", GOOD_ARN)
    assert ctl.can("setup")


def test_a_setup_made_elsewhere_shows_up_and_fills_the_fields(ctl):
    """What a notebook cell (or the CLI) did is what the panel shows: the journal is the shared record."""
    settings = load_settings(target="aws", region="us-west-2", role_arn=GOOD_ARN, bucket="cell-bucket-1")
    journal.record("setup", settings, role_arn=GOOD_ARN, bucket="cell-bucket-1", changed=5)
    ctl.refresh()
    assert ctl.fields["role_arn"] == GOOD_ARN and ctl.fields["bucket"] == "cell-bucket-1"
    assert ctl.can("run_pipeline") and ctl.can("cleanup")
    assert "Set up done" in ctl.status and "cell-bucket-1" in ctl.status
    ctl.set_field("bucket", "another-bucket")  # a different bucket was never set up
    assert not ctl.can("run_pipeline")
    journal.record("cleanup", settings, include_bucket=True, include_iam=True, count=3)
    ctl.set_field("bucket", "cell-bucket-1")
    assert not ctl.can("run_pipeline")  # cleaned away since


def test_unavailable_action_is_refused_with_the_reason(ctl):
    with pytest.raises(ActionUnavailable) as exc:
        ctl.start("predict")
    assert "run the pipeline" in exc.value.message
    with pytest.raises(ActionUnavailable):
        ctl.run_pipeline()
    with pytest.raises(ActionUnavailable):
        ctl.start("launch")
    assert not ctl.busy and ctl.last_error is None


def test_bad_environment_value_becomes_last_error_not_a_crash(own_state, monkeypatch):
    monkeypatch.setenv("KFSM_BUCKET", "Not_A_Bucket")
    ctl = Controller(lang="en")
    assert ctl.last_error is not None and ctl.last_error.action == "settings"
    assert "bucket" in ctl.last_error.message
    assert ctl.fields["target"] == "local"


def test_a_bug_becomes_last_error_with_its_traceback_and_an_event(ctl):
    events = []
    ctl.add_listener(events.append)
    with pytest.raises(ZeroDivisionError):  # a direct (headless) call still fails loudly
        ctl._run("check", lambda: 1 / 0)
    err = ctl.last_error
    assert err.action == "check" and err.kind == "ZeroDivisionError"
    assert "ZeroDivisionError" in err.traceback and "report it" in err.hint
    assert [e.kind for e in events if e.kind != "snapshot"] == ["started", "failed"]
    assert events[-1].data is err
    assert not ctl.busy and ctl.can("check")
    assert ctl.status == "Check setup failed — see the box below."  # the reason is said once, in the box
    assert err.to_dict()["traceback"] == err.traceback


def test_kit_errors_keep_message_and_hint_without_traceback(ctl):
    with pytest.raises(ValidationError):
        ctl._run("setup", lambda: load_settings(bucket="UPPER"))
    err = ctl.last_error
    assert err.kind == "ValidationError" and err.traceback is None
    assert "bucket" in err.message and err.hint == "use lower case"
    ctl.dismiss_error()
    assert ctl.error is None


def test_a_broken_listener_does_not_break_the_action(ctl):
    def broken(event):
        raise RuntimeError("listener bug")

    seen = []
    ctl.add_listener(broken)
    ctl.add_listener(seen.append)
    assert ctl._run("check", lambda: 42) == 42
    assert ctl.results["check"] == 42 and ctl.last_error is None
    assert [e.kind for e in seen if e.kind != "snapshot"] == ["started", "finished"]
    ctl.remove_listener(broken)


def test_start_checks_its_arguments_before_claiming(ctl):
    with pytest.raises(TypeError):
        ctl.start("setup", bogus=1)
    assert not ctl.busy and ctl.last_error is None


@pytest.mark.parametrize("lang, text", [("en", "Fix the field marked in red"), ("ja", "赤枠の項目")])
def test_status_line_asks_to_fix_an_invalid_field(own_state, lang, text):
    ctl = Controller(load_settings(target="aws", region="us-west-2"), lang=lang)
    ctl.set_field("role_arn", "arn:aws:iam::12345:role/short-account")
    assert text in ctl.status
    assert not ctl.can("setup")
    ctl.set_field("role_arn", "")
    assert text not in ctl.status


def test_a_running_cell_disables_the_buttons_and_says_why(ctl):
    class Events:
        def __init__(self):
            self.handlers = {}

        def register(self, name, fn):
            self.handlers[name] = fn

        def unregister(self, name, fn):
            self.handlers.pop(name)

    class Shell:
        events = Events()

    shell = Shell()
    ctl.follow_cells(shell)
    shell.events.handlers["pre_run_cell"](None)
    assert not ctl.can("setup") and "cell is running" in ctl.why_not("setup")
    shell.events.handlers["post_run_cell"](None)
    import time

    time.sleep(0.5)
    assert ctl.can("setup")
    ctl.close()
    assert shell.events.handlers == {}
