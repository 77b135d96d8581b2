"""``POST /kfsm-lab/notebooks/open``: copy the bundled main notebook into a folder once, in the UI language."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from kfsm_lab.server import notebooks

from .conftest import body


async def _open(jp_fetch, payload) -> dict:
    return body(await jp_fetch("kfsm-lab", "notebooks", "open", method="POST", body=json.dumps(payload)))


async def test_copies_english_notebook_once(jp_fetch, jp_root_dir: Path, bundled_notebooks: Path):
    first = await _open(jp_fetch, {"path": "", "lang": "en"})
    assert first == {"path": "sagemaker_pipeline.ipynb", "created": True, "language": "en",
                     "source": "sagemaker_pipeline.ipynb"}
    copy = jp_root_dir / "sagemaker_pipeline.ipynb"
    assert nbformat.read(copy, as_version=4).cells[0].source == "# SageMaker pipeline lab"

    # the user's edits survive a second click
    nb = nbformat.read(copy, as_version=4)
    nb.cells[0].source = "# my notes"
    nbformat.write(nb, copy)
    second = await _open(jp_fetch, {"path": "", "lang": "en"})
    assert second["created"] is False and second["path"] == "sagemaker_pipeline.ipynb"
    assert nbformat.read(copy, as_version=4).cells[0].source == "# my notes"


@pytest.mark.parametrize("lang", ["ja", "ja_JP", "ja-JP"])
async def test_japanese_ui_gets_japanese_notebook(jp_fetch, jp_root_dir: Path, lang):
    (jp_root_dir / "work" / "lab").mkdir(parents=True)
    data = await _open(jp_fetch, {"path": "work/lab", "lang": lang})
    assert data["path"] == "work/lab/sagemaker_pipeline_ja.ipynb"
    assert data["language"] == "ja"
    nb = nbformat.read(jp_root_dir / "work" / "lab" / "sagemaker_pipeline_ja.ipynb", as_version=4)
    assert "パイプライン" in nb.cells[0].source


async def test_japanese_falls_back_to_english_when_translation_missing(jp_fetch, jp_root_dir, bundled_notebooks):
    (bundled_notebooks / "ja" / "sagemaker_pipeline.ipynb").unlink()
    data = await _open(jp_fetch, {"path": "", "lang": "ja_JP"})
    assert data["path"] == "sagemaker_pipeline.ipynb"
    assert (jp_root_dir / "sagemaker_pipeline.ipynb").is_file()


@pytest.mark.parametrize("path", ["../outside", "a/../../b", 42])
async def test_refuses_paths_outside_root(jp_fetch, path):
    with pytest.raises(HTTPClientError) as info:
        await _open(jp_fetch, {"path": path, "lang": "en"})
    assert info.value.code == 400
    err = body(info.value.response)
    assert err["error"] == "ValidationError" and "path" in err["message"]


async def test_missing_folder_is_404(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await _open(jp_fetch, {"path": "no/such/folder", "lang": "en"})
    assert info.value.code == 404
    assert "does not exist" in body(info.value.response)["message"]


async def test_missing_bundled_notebook_is_404_with_hint(jp_fetch, bundled_notebooks: Path):
    for nb in bundled_notebooks.rglob("*.ipynb"):
        nb.unlink()
    with pytest.raises(HTTPClientError) as info:
        await _open(jp_fetch, {"path": "", "lang": "en"})
    assert info.value.code == 404
    err = body(info.value.response)
    assert "sagemaker_pipeline.ipynb" in err["message"]
    assert "notebooks_dir" in err["hint"]


async def test_body_must_be_json_object(jp_fetch):
    for raw in ("not json", "[1, 2]"):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("kfsm-lab", "notebooks", "open", method="POST", body=raw)
        assert info.value.code == 400
        assert body(info.value.response)["error"] == "ValidationError"


def test_bundled_folder_is_the_package_or_repo_notebooks():
    """Installed: kfsm_lab/notebooks (force-included in the wheel); editable: <repo>/notebooks."""
    found = notebooks.bundled_notebooks_dir()
    package = Path(notebooks.__file__).resolve().parents[1]
    assert found in (package / "notebooks", package.parent / "notebooks")


@pytest.mark.parametrize(("code", "key"), [("en", "en"), ("default", "en"), ("", "en"), (None, "en"),
                                          ("ja_JP", "ja"), ("JA", "ja"), ("jv_ID", "en"), ("zh_CN", "en")])
def test_language_key(code, key):
    assert notebooks.language_key(code) == key
