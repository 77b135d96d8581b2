"""The panel driven like a user would, without a browser or a kernel: typing, clicking, disabled states."""

import ipywidgets as w
import pytest

from kfsm_lab import journal
from kfsm_lab.config import load_settings
from kfsm_lab.i18n import MESSAGES
from kfsm_lab.widgets import ACTIONS, Controller, interactive_kernel, panel, show
from kfsm_lab.widgets.components import Field, Notice

BAD_ARN = "arn:aws:iam::12345:role/eksworkshop-sagemaker-kfp-role"
GOOD_ARN = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture(params=["en", "ja"])
def lang(request):
    return request.param


@pytest.fixture()
def settings(own_state):
    return load_settings(target="aws", region="us-west-2")


@pytest.fixture()
def make(settings):
    made = []

    def build(**kw):
        p = panel(kw.pop("settings", settings), watch=False, **kw)
        made.append(p)
        return p

    yield build
    for p in made:
        p.close()


def enabled(p):
    return {a for a, b in p.buttons.items() if not b.disabled}


def test_panel_is_made_of_stock_widgets_and_two_accessible_views(make, lang):
    p = make(lang=lang)
    assert isinstance(p.widget, w.VBox) and "kfsm-panel" in p.widget._dom_classes
    assert all(isinstance(f, Field) for f in p.inputs.values()) and isinstance(p.notice, Notice)
    assert ["us-west-2", "us-west-2"] in p.region.options and ["eu-central-1", "eu-central-1"] in p.region.options
    assert [v for _, v in p.target.options] == ["local", "aws"]
    assert {b.description for b in p.buttons.values()} == {MESSAGES[lang][f"action.{a}"] for a in ACTIONS}
    assert all(b.icon == "" for b in p.buttons.values())  # names without icon glyphs
    assert p.role_arn.label == MESSAGES[lang]["field.role_arn"]
    assert p.notice.status == MESSAGES[lang]["status.ready"]
    assert callable(p._ipython_display_)


def test_bad_role_arn_message_at_the_field(make, lang):
    p = make(lang=lang)
    p.role_arn.value = BAD_ARN
    assert p.role_arn.message and "123456789012" in p.role_arn.message
    assert p.notice.status == MESSAGES[lang]["status.fix_fields"]
    assert enabled(p) == set(), "nothing may run while a field is invalid"
    assert p.role_arn.message in p.buttons["setup"].tooltip  # the disabled button says why
    p.role_arn.value = GOOD_ARN
    assert p.role_arn.message == ""
    assert enabled(p) == {"check", "setup"}
    assert p.controller.fields["role_arn"] == GOOD_ARN


def test_bad_bucket_message_and_fix(make):
    p = make()
    p.bucket.value = "s3://my-bucket/data"
    assert "'my-bucket'" in p.bucket.message  # says what to type instead
    p.bucket.value = "my-bucket"
    assert p.bucket.message == ""


def test_initial_states_and_the_next_step_is_primary(make):
    p = make()
    assert enabled(p) == {"check", "setup"}
    assert p.buttons["setup"].button_style == "primary"
    assert p.include_bucket.disabled and p.include_iam.disabled  # nothing to clean up yet
    assert p.steps.value == ""


def test_clicking_a_disabled_button_shows_why_and_starts_nothing(make, lang):
    p = make(lang=lang)
    p.buttons["run_pipeline"].click()  # .click() fires even when disabled, as a stale frontend might
    assert not p.controller.busy
    assert p.notice.error["message"].split(": ", 1)[1] == MESSAGES[lang]["why.needs_setup"]


def test_clean_up_asks_first_and_keep_is_the_default(make, settings):
    journal.record("setup", settings, role_arn=GOOD_ARN, bucket="some-bucket-1", changed=1)
    p = make()
    assert "cleanup" in enabled(p) and not p.include_bucket.disabled
    assert p.bucket.value == "some-bucket-1"  # adopted from the setup the journal knows
    p.include_bucket.value = True
    p.buttons["cleanup"].click()
    assert p.confirm.layout.display == "flex" and "some-bucket-1" in p.confirm_text.value
    assert not p.controller.busy  # nothing happens until the deletion is confirmed
    p.confirm_no.click()
    assert p.confirm.layout.display == "none" and not p.controller.busy


def test_region_and_target_reach_the_controller(make):
    p = make()
    p.region.value = "eu-central-1"
    p.target.value = "local"
    assert p.controller.settings().region == "eu-central-1"
    assert p.controller.settings().target == "local"


def test_panel_can_share_a_controller_and_detach(settings):
    ctl = Controller(settings, lang="en")
    p1, p2 = panel(controller=ctl, watch=False), panel(controller=ctl, watch=False)
    p1.bucket.value = "Bad_Bucket"
    assert p2.bucket.message and p2.bucket.value == "Bad_Bucket"  # the other view follows
    ctl.remove_listener(p2._on_event)
    p1.bucket.value = "good-bucket"
    assert p2.bucket.value == "Bad_Bucket"  # detached: no longer updated
    p1.close()


def test_a_bug_shows_its_traceback_folded_in_the_error_box(make, lang):
    p = make(lang=lang)
    with pytest.raises(KeyError):
        p.controller._run("check", lambda: {}["missing"])
    err = p.notice.error
    assert "KeyError" in err["message"] and "KeyError" in err["traceback"]
    assert err["hint"] == MESSAGES[lang]["error.unexpected_hint"]
    assert p.notice.labels["traceback"] == MESSAGES[lang]["error.traceback"]
    assert "KeyError" not in p.notice.status  # the reason is in the box, once
    assert enabled(p) == {"check", "setup"}  # not stuck busy
    p.notice.click("dismiss")
    assert p.notice.error == {}


def test_show_does_nothing_outside_an_interactive_kernel(settings):
    assert not interactive_kernel()
    assert show(settings) is None
