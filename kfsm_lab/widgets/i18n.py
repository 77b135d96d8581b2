"""The panel's catalogue now lives in :mod:`kfsm_lab.i18n` (shared with the CLI and the reports)."""

from __future__ import annotations

from ..i18n import LANGS, MESSAGES, check_lang, t

__all__ = ["LANGS", "MESSAGES", "check_lang", "t"]
