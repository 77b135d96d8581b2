"""Both languages say the same things: same keys, same placeholders, nothing left empty; which one is used."""

import json
import string

import pytest

from kfsm_lab import i18n
from kfsm_lab.errors import ValidationError
from kfsm_lab.i18n import LANGS, MESSAGES, check_lang, resolve, t
from kfsm_lab.widgets import ACTIONS


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


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


# Keys whose Japanese is the same as the English on purpose: proper names and notation.
SAME = {"title", "col.sagemaker", "cli.run_step", "cli.progress_step"}


@pytest.mark.parametrize("key", sorted(set(MESSAGES["en"]) - SAME))
def test_japanese_is_really_translated(key):
    assert _japanese(MESSAGES["ja"][key]), f"ja:{key} = {MESSAGES['ja'][key]!r} has no Japanese"


def test_format_and_unknown_language():
    assert t("en", "status.busy", action="Set up") == "Set up: working…"
    assert t("ja", "status.busy", action="セットアップ") == "セットアップ: 処理中…"
    with pytest.raises(ValidationError) as exc:
        check_lang("fr")
    assert "'en' or 'ja'" in exc.value.hint
    assert {f"action.{a}" for a in ACTIONS} <= set(MESSAGES["en"])


def test_language_resolution_order(tmp_path, monkeypatch):
    for var in ("KFSM_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path))
    assert resolve(None, lab=True) == "en"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert resolve(None) == "ja"
    monkeypatch.setenv("LANG", "C.UTF-8")
    plugin = tmp_path / "@jupyterlab" / "translation-extension"
    plugin.mkdir(parents=True)
    (plugin / "plugin.jupyterlab-settings").write_text('{\n  // chosen in Settings > Language\n  "locale": "ja_JP"\n}')
    assert resolve(None) == "en" and resolve(None, lab=True) == "ja"  # the lab's setting is for views in the lab
    monkeypatch.setenv("KFSM_LANG", "en")
    assert resolve(None, lab=True) == "en"
    i18n.set_lang("ja")
    try:
        assert resolve(None) == "ja" and resolve("en") == "en"
    finally:
        i18n.set_lang(None)
    json.dumps(MESSAGES)  # plain strings only
