"""Static checks of every bundled notebook: one parameters cell, python3 kernel, editions in step."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def test_there_are_notebooks():
    names = {str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS}
    assert {"sagemaker_pipeline.ipynb", "ja/sagemaker_pipeline.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_and_python3_kernel(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    assert tagged[0].cell_type == "code"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "ship notebooks without outputs"
    assert "%matplotlib inline" in "".join(c.source for c in nb.cells if c.cell_type == "code")


def _code_only(source: str) -> str:
    """A cell's code without its comments (which are in the edition's language) and its language default."""
    import io
    import tokenize

    kept = [t for t in tokenize.generate_tokens(io.StringIO(source.replace("%matplotlib", "#")).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL)]
    text = tokenize.untokenize(kept).replace('"ja"', '"en"')
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def test_japanese_edition_has_the_same_code_and_speaks_japanese():
    en = nbformat.read(str(ROOT / "notebooks" / "sagemaker_pipeline.ipynb"), as_version=4)
    ja = nbformat.read(str(ROOT / "notebooks" / "ja" / "sagemaker_pipeline.ipynb"), as_version=4)
    assert [_code_only(c.source) for c in en.cells if c.cell_type == "code"] == \
        [_code_only(c.source) for c in ja.cells if c.cell_type == "code"]
    params = next(c.source for c in ja.cells if "parameters" in c.metadata.get("tags", []))
    assert 'lang = "ja"' in params
    ja_comments = [ln for c in ja.cells if c.cell_type == "code" for ln in c.source.splitlines() if "# " in ln]
    assert all(any("\u3040" <= ch <= "\u9fff" for ch in ln.split("# ", 1)[1]) for ln in ja_comments), \
        "every comment of the Japanese edition is in Japanese"
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in ja.cells]
    ja_text = "".join(c.source for c in ja.cells if c.cell_type == "markdown")
    assert any("\u3040" <= ch <= "\u30ff" for ch in ja_text), "the Japanese edition explains in Japanese"


def test_notebooks_match_their_generator(tmp_path):
    """Someone edited a notebook by hand: re-run scripts/build_notebooks.py (or move the edit there)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "scripts" / "build_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for lang, rel in (("en", "sagemaker_pipeline.ipynb"), ("ja", "ja/sagemaker_pipeline.ipynb")):
        shipped = nbformat.read(str(ROOT / "notebooks" / rel), as_version=4)
        assert [c.source for c in mod.build(lang).cells] == [c.source for c in shipped.cells], rel


def test_params_cli_lists_parameters_with_help():
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "notebooks", "params", "sagemaker_pipeline", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import json

    params = json.loads(r.stdout)
    for name in ("target", "region", "role_arn", "bucket", "run_name", "lang", "pace", "kfp_host",
                 "namespace", "cleanup_at_end"):
        assert name in params
        assert params[name]["help"], f"{name} has no comment saying what it means"
