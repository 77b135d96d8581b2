"""Both languages say the same things: same keys, same placeholders, nothing left empty."""

import string

import pytest

from kfsm_lab.errors import ValidationError
from kfsm_lab.widgets import ACTIONS
from kfsm_lab.widgets.i18n import LANGS, MESSAGES, check_lang, t


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_keys():
    assert set(LANGS) == set(MESSAGES) == {"en", "ja"}
    en = set(MESSAGES["en"])
    for lang in LANGS:
        keys = set(MESSAGES[lang])
        assert keys == en, f"{lang}: missing {en - keys}, extra {keys - en}"


@pytest.mark.parametrize("key", sorted(MESSAGES["en"]))
def test_placeholders_match_and_text_is_not_empty(key):
    en = _placeholders(MESSAGES["en"][key])
    for lang in LANGS:
        text = MESSAGES[lang][key]
        assert text.strip(), f"{lang}:{key} is empty"
        assert _placeholders(text) == en, f"{lang}:{key} has {_placeholders(text)}, en has {en}"


def test_japanese_is_really_translated():
    # every label a user reads on a button or field differs from English and holds Japanese script
    for key in [f"action.{a}" for a in ACTIONS] + ["field.region", "field.bucket", "status.ready"]:
        ja = MESSAGES["ja"][key]
        assert ja != MESSAGES["en"][key]
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in ja), key


def test_format_and_unknown_language():
    assert t("en", "status.busy", action="Set up") == "Set up: working…"
    assert t("ja", "status.busy", action="セットアップ") == "セットアップ: 処理中…"
    with pytest.raises(ValidationError) as exc:
        check_lang("fr")
    assert "'en' or 'ja'" in exc.value.hint
