"""The lab extension follows the extension template's hygiene: lint-clean, honest package metadata, translated."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "labextension"
CATALOGUE = ROOT / "kfsm_lab" / "locale" / "ja_JP" / "LC_MESSAGES" / "kfsm_lab.json"
# trans.__('…') and trans._n('…', '…', n) in the TypeScript sources (prettier keeps single quotes)
#: Names that stay as they are in Japanese (products, services, formats).
PROPER_NAMES = ("SageMaker", "Kubeflow Pipelines", "Kubeflow", "CloudWatch", "JupyterLab", "Jupyter", "kfsm_lab",
                "KFP", "AWS", "ARN", "S3", "ID")
PLURALS: set[str] = set()
_CALL = re.compile(r"""\.(__|_n)\(\s*'((?:[^'\\]|\\.)*)'(?:\s*,\s*'((?:[^'\\]|\\.)*)')?""", re.S)


def _jlpm() -> str:
    candidate = Path(sys.executable).parent / "jlpm"
    return str(candidate) if candidate.exists() else "jlpm"


def test_eslint_and_prettier_are_clean():
    if not (EXT / "node_modules").is_dir():
        pytest.skip("labextension/node_modules is missing (pip install . makes it)")
    import os

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([_jlpm(), "lint:check"], cwd=EXT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_package_json_lists_only_what_exists():
    package = json.loads((EXT / "package.json").read_text())
    for pattern in package["files"]:
        top = pattern.split("/", 1)[0]
        assert top in ("lib", "style") or (EXT / top).exists(), f"files lists {pattern!r}, but {top}/ does not exist"
    assert package["jupyterlab"]["webpackConfig"] and (EXT / package["jupyterlab"]["webpackConfig"]).is_file()


def _msgids() -> set[str]:
    found: set[str] = set()
    for source in (EXT / "src").rglob("*.ts"):
        for m in _CALL.finditer(source.read_text()):
            found.add(m.group(2).replace("\\'", "'"))
            if m.group(1) == "_n":
                PLURALS.add(m.group(2).replace("\\'", "'"))
    return found


def test_every_string_of_the_extension_has_a_japanese_translation():
    catalogue = json.loads(CATALOGUE.read_text())
    assert catalogue[""]["domain"] == "kfsm_lab"
    ids = _msgids()
    assert len(ids) > 150
    missing = sorted(i for i in ids if i not in catalogue)
    assert not missing, f"not in {CATALOGUE.name}: {missing}"
    # JupyterLab's gettext uses a plural entry only when it has more than one form
    assert all(len(catalogue[p]) > 1 for p in PLURALS), [p for p in PLURALS if len(catalogue[p]) < 2]
    for msgid, value in catalogue.items():
        if not msgid:
            continue
        assert set(re.findall(r"%\d", msgid)) == set(re.findall(r"%\d", value[0])), msgid
        words = re.sub(r"`[^`]*`|%\d", "", value[0])
        for name in PROPER_NAMES:
            words = words.replace(name, "")
        assert not re.search(r"[A-Za-z]{2,}", words), f"English left in the translation of {msgid!r}: {value[0]!r}"


def test_catalogue_reaches_jupyterlab_translation_server():
    """The `jupyterlab.locale` entry point makes JupyterLab serve the catalogue when the Lab is Japanese."""
    from jupyterlab_server.translation_utils import get_installed_packages_locale

    data, _ = get_installed_packages_locale("ja_JP")
    assert "kfsm_lab" in data and data["kfsm_lab"][""]["domain"] == "kfsm_lab"
