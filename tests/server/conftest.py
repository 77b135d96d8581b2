"""Fixtures for the server extension: a jupyter_server in-process with kfsm_lab enabled, auth on."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

# pytest-jupyter ships its fixtures as a module, not an auto-loaded plugin; import them here so
# they apply to this folder only.
from pytest_jupyter.jupyter_server import *  # noqa: F403


def _notebook(title: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"),
                nbformat.v4.new_code_cell("run_name = None", metadata={"tags": ["parameters"]})]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def bundled_notebooks(tmp_path: Path) -> Path:
    """A notebooks folder laid out like the package's: English main notebook and ja/ translation."""
    root = tmp_path / "bundled"
    (root / "ja").mkdir(parents=True)
    nbformat.write(_notebook("SageMaker pipeline lab"), root / "sagemaker_pipeline.ipynb")
    nbformat.write(_notebook("SageMaker パイプライン"), root / "ja" / "sagemaker_pipeline.ipynb")
    return root


@pytest.fixture(autouse=True)
def _keep_kfp_ui_env():
    """The in-process server points KF_PIPELINES_UI_ENDPOINT at its run page; other tests must not inherit that."""
    import os

    old = os.environ.get("KF_PIPELINES_UI_ENDPOINT")
    yield
    if old is None:
        os.environ.pop("KF_PIPELINES_UI_ENDPOINT", None)
    else:
        os.environ["KF_PIPELINES_UI_ENDPOINT"] = old


@pytest.fixture
def kfsm_config() -> dict:
    """``c.KfsmLab`` for the test server; tests override to change target or region."""
    return {"target": "local", "cache_seconds": 0.0}


@pytest.fixture
def jp_server_config(bundled_notebooks: Path, kfsm_config: dict) -> dict:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kfsm_lab": True},
            "allow_unauthenticated_access": False,
        },
        "KfsmLab": {"notebooks_dir": str(bundled_notebooks), **kfsm_config},
    }


def body(response) -> dict:
    """The JSON body of a tornado response."""
    return json.loads(response.body.decode())
