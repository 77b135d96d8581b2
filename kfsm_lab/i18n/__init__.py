"""Every word the kit shows a person, in English and Japanese, and which language to show.

One flat catalogue per language with the same keys (a test checks keys and ``{placeholders}`` match),
gathered from small modules by what they word: :mod:`.panel` (the ipywidgets panel), :mod:`.reports`
(run states, tables, figures, the prediction report, the doctor) and :mod:`.cli` (the command line).
Technical identifiers (ARNs, bucket names, step names, command lines) are never translated.

Which language: an explicit ``lang`` wins, then :func:`set_lang`, then ``KFSM_LANG``, then (for views
inside JupyterLab) the lab's own language setting, then the locale (``LC_ALL``/``LC_MESSAGES``/``LANG``
starting with ``ja``), then English.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from . import cli, panel, reports

LANGS: tuple[str, ...] = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {**panel.EN, **reports.EN, **cli.EN},
    "ja": {**panel.JA, **reports.JA, **cli.JA},
}

_chosen: str | None = None


def check_lang(lang: str) -> str:
    """The language code, or the kit's ValidationError naming the supported ones."""
    if lang not in MESSAGES:
        from ..errors import ValidationError

        raise ValidationError("lang", lang, f"{lang!r} is not a supported language", "use 'en' or 'ja'")
    return lang


def set_lang(lang: str | None) -> None:
    """Choose the language of everything the kit shows in this process (None: back to automatic)."""
    global _chosen
    _chosen = None if lang is None else check_lang(lang)


def _from_locale(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("-", "_")
    if code.startswith("ja"):
        return "ja"
    if code.startswith("en") or code in ("c", "posix", "c.utf_8"):
        return "en"
    return None


def lab_settings_dir() -> Path:
    """Where JupyterLab keeps user settings (``JUPYTERLAB_SETTINGS_DIR`` or ``<config>/lab/user-settings``)."""
    override = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
    if override:
        return Path(override)
    try:
        from jupyter_core.paths import jupyter_config_dir

        return Path(jupyter_config_dir()) / "lab" / "user-settings"
    except ImportError:
        return Path.home() / ".jupyter" / "lab" / "user-settings"


def lab_lang() -> str | None:
    """The language chosen in JupyterLab's Settings → Language menu, when it is one the kit speaks."""
    path = lab_settings_dir() / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    text = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)  # the file is JSON with comments
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return None
    return _from_locale(data.get("locale")) if isinstance(data, dict) else None


def resolve(lang: str | None = None, *, lab: bool = False) -> str:
    """The language to use (see the module docstring); ``lab`` also consults JupyterLab's setting."""
    if lang:
        return check_lang(lang)
    if _chosen:
        return _chosen
    env = os.environ.get("KFSM_LANG")
    if env:
        return check_lang(env.strip())
    if lab and (found := lab_lang()):
        return found
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = _from_locale(os.environ.get(var))
        if found:
            return found
    return "en"


def t(lang: str | None, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (None: :func:`resolve`) with ``values`` filled in.

    A key missing in one language falls back to English; a key missing everywhere is a bug (KeyError).
    """
    code = lang if lang in MESSAGES else resolve(None)
    text = MESSAGES[code].get(key) or MESSAGES["en"][key]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in MESSAGES["en"]


def state_word(state: str | None, lang: str | None = None) -> str:
    """A run or step state (the kit's lowercase words) for people."""
    return t(lang, f"state.{state}") if state and has(f"state.{state}") else (state or "")


def step_label(step: Any, lang: str | None = None) -> str:
    """A step's name for people: the kit's words for the workshop's steps, else its display name."""
    name = step.get("name", "")
    return t(lang, f"step.{name}") if has(f"step.{name}") else (step.get("display_name") or name)


__all__ = ["LANGS", "MESSAGES", "check_lang", "has", "lab_lang", "resolve", "set_lang", "state_word", "step_label",
           "t"]
