"""The panel driven like a user would, without a browser or a kernel: typing, clicking, disabled states."""

import ipywidgets as w
import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.widgets import ACTIONS, Controller, panel
from kfsm_lab.widgets.i18n import MESSAGES

BAD_ARN = "arn:aws:iam::12345:role/eksworkshop-sagemaker-kfp-role"
GOOD_ARN = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture(params=["en", "ja"])
def lang(request):
    return request.param


@pytest.fixture()
def settings():
    return load_settings(target="local", region="us-west-2")


def enabled(p):
    return {a for a, b in p.buttons.items() if not b.disabled}


def test_panel_is_made_of_stock_widgets(settings, lang):
    p = panel(settings, lang=lang)
    assert isinstance(p.widget, w.VBox)
    assert isinstance(p.role_arn, w.Text) and isinstance(p.bucket, w.Text)
    assert isinstance(p.region, w.Dropdown) and "us-west-2" in p.region.options and "eu-central-1" in p.region.options
    assert [v for _, v in p.target.options] == ["local", "aws"]
    assert isinstance(p.progress, w.IntProgress) and isinstance(p.progress_out, w.Output)
    assert {b.description for b in p.buttons.values()} == {MESSAGES[lang][f"action.{a}"] for a in ACTIONS}
    assert p.role_arn.description == MESSAGES[lang]["field.role_arn"]
    assert p.status.value and MESSAGES[lang]["status.ready"] in p.status.value
    assert callable(p._ipython_display_)


def test_bad_role_arn_message_under_the_field(settings, lang):
    p = panel(settings, lang=lang)
    p.role_arn.value = BAD_ARN
    msg = p.messages["role_arn"].value
    assert "kfsm-invalid" in msg and "12 digits" in msg
    lead = {"en": "Hint:", "ja": "実行ロール ARN が正しくありません"}[lang]
    assert lead in msg
    assert enabled(p) == set(), "nothing may run while a field is invalid"
    assert "12 digits" in p.buttons["setup"].tooltip  # the disabled button says why
    p.role_arn.value = GOOD_ARN
    assert p.messages["role_arn"].value == ""
    assert enabled(p) == {"check", "setup"}
    assert p.controller.fields["role_arn"] == GOOD_ARN


def test_bad_bucket_message_and_fix(settings, lang):
    p = panel(settings, lang=lang)
    p.bucket.value = "s3://my-bucket/data"
    assert "'my-bucket'" in p.messages["bucket"].value  # the hint says what to type instead
    p.bucket.value = "my-bucket"
    assert p.messages["bucket"].value == ""


def test_initial_disabled_states(settings):
    p = panel(settings)
    assert enabled(p) == {"check", "setup"}
    assert p.buttons["run_pipeline"].disabled and p.buttons["predict"].disabled and p.buttons["cleanup"].disabled
    assert p.progress.layout.visibility == "hidden"


def test_clicking_a_disabled_button_shows_why_and_starts_nothing(settings, lang):
    p = panel(settings, lang=lang)
    p.buttons["run_pipeline"].click()  # .click() fires even when disabled, as a stale frontend might
    assert not p.controller.busy
    assert "kfsm-error" in p.error.value
    assert MESSAGES[lang]["why.needs_setup"].split("（")[0].split(" (")[0] in p.error.value


def test_region_and_target_dropdowns_reach_the_controller(settings):
    p = panel(settings)
    p.region.value = "eu-central-1"
    p.target.value = "aws"
    assert p.controller.settings().region == "eu-central-1"
    assert p.controller.settings().target == "aws"


def test_panel_can_share_a_controller_and_detach(settings):
    ctl = Controller(settings)
    p1, p2 = panel(controller=ctl), panel(controller=ctl)
    p1.bucket.value = "Bad_Bucket"
    assert p2.messages["bucket"].value and p2.bucket.value == "Bad_Bucket"  # the other view follows
    p2.close()
    p1.bucket.value = "good-bucket"
    assert p2.bucket.value == "Bad_Bucket"  # detached: no longer updated


def test_a_bug_shows_its_traceback_folded_in_the_error_box(settings, lang):
    p = panel(settings, lang=lang)
    with pytest.raises(KeyError):
        p.controller._run("check", lambda: {}["missing"])
    assert "kfsm-error" in p.error.value and "<details>" in p.error.value
    assert "KeyError" in p.error.value and MESSAGES[lang]["error.traceback"] in p.error.value
    assert MESSAGES[lang]["error.unexpected_hint"] in p.error.value
    assert enabled(p) == {"check", "setup"}  # not stuck busy
