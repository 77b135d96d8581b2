"""Japanese labels find a CJK font even when matplotlib's font cache was written before the font was installed."""

import os
import shutil
import subprocess
import sys

import pytest

_STALE_CACHE = """
import matplotlib
from pathlib import Path
from matplotlib import font_manager as fm
m = fm.fontManager
m.ttflist = [f for f in m.ttflist if "CJK" not in f.name and "CJK" not in f.fname]  # as before the font came
fm.json_dump(m, Path(matplotlib.get_cachedir(), f"fontlist-v{fm.FontManager.__version__}.json"))
"""

_FIND = """
from matplotlib import font_manager as fm
before = any("CJK" in f.name for f in fm.fontManager.ttflist)
from kfsm_lab.fonts import cjk_families
print(before, bool(cjk_families()))
"""


def test_a_cjk_font_installed_after_matplotlibs_cache_is_found(tmp_path):
    fc = shutil.which("fc-list")
    listed = subprocess.run([fc, ":lang=ja", "family"], capture_output=True, text=True).stdout if fc else ""
    if "CJK" not in listed:
        pytest.skip("no CJK font on this system: apt-get install fonts-noto-cjk")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}  # a cache of its own, written without the CJK fonts
    subprocess.run([sys.executable, "-c", _STALE_CACHE], env=env, check=True, timeout=120)
    out = subprocess.run([sys.executable, "-c", _FIND], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]  # not in the stale list, found anyway
