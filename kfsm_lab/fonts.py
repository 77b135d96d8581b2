"""Fonts for figures: a CJK fallback so Japanese labels draw as text, not boxes.

matplotlib (≥ 3.6) falls back glyph by glyph through the families of ``font.family``; the kit appends
the CJK families it finds on the system (Debian's ``fonts-noto-cjk`` gives Noto Sans CJK JP) after
the default, so Latin text looks as before and Japanese text uses the CJK font.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.font_manager import FontManager

CJK_FAMILIES = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic",
                "Hiragino Sans", "Yu Gothic", "Meiryo", "Source Han Sans JP", "Noto Serif CJK JP")


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """The CJK families matplotlib can find here (empty when none is installed).

    matplotlib keeps the system's font list in a cache file it writes the first time it runs and never
    updates: a CJK font installed after that (``apt-get install fonts-noto-cjk`` after a first figure) is
    not in it, and Japanese labels draw as boxes until the cache is deleted. So when the list has none of
    these families, the system's font files that are not in it are added (this process only; once).
    """
    from matplotlib import font_manager

    found = _known(font_manager.fontManager)
    if not found:
        listed = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in listed:
                with contextlib.suppress(Exception):  # a font file matplotlib cannot read is simply not used
                    font_manager.fontManager.addfont(path)
        found = _known(font_manager.fontManager)
    return found


def _known(manager: FontManager) -> tuple[str, ...]:
    known = {f.name for f in manager.ttflist}
    return tuple(f for f in CJK_FAMILIES if f in known)


def use_cjk_fallback() -> tuple[str, ...]:
    """Make every figure fall back to the CJK families after the usual sans-serif; returns them.

    matplotlib falls back glyph by glyph across the entries of ``font.family`` (not within the
    ``font.sans-serif`` list, which resolves to a single font), so the families are added there.
    """
    import matplotlib

    found = cjk_families()
    family = list(matplotlib.rcParams["font.family"])
    missing = [f for f in found if f not in family]
    if missing:
        matplotlib.rcParams["font.family"] = family + missing
    return found
