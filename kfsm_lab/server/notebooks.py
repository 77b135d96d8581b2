"""Copy the bundled main notebook into the user's folder (once) so the launcher card can open it.

The copy goes through the server's contents manager, so it obeys the same root, hidden-file and
permission rules as anything the user saves from the browser.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async

from ..errors import ValidationError
from .errors import NotFoundError

MAIN_NOTEBOOK = "sagemaker_pipeline.ipynb"
#: language code prefix -> (bundled path, name of the copy in the user's folder)
LANGUAGES = {
    "en": (MAIN_NOTEBOOK, MAIN_NOTEBOOK),
    "ja": (f"ja/{MAIN_NOTEBOOK}", "sagemaker_pipeline_ja.ipynb"),
}


def bundled_notebooks_dir() -> Path:
    """Where the notebooks are: ``kfsm_lab/notebooks`` when installed, ``<repo>/notebooks`` when editable."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "notebooks"
    return installed if installed.is_dir() else package.parent / "notebooks"


def language_key(lang: object) -> str:
    """'ja' for any Japanese JupyterLab language code (ja, ja_JP, ja-JP), else 'en'."""
    text = str(lang or "").strip().lower().replace("-", "_")
    return "ja" if text == "ja" or text.startswith("ja_") else "en"


def _folder(path: object) -> str:
    if path is None:
        return ""
    if not isinstance(path, str):
        raise ValidationError("path", path, "must be a folder path relative to the server root, as text")
    text = path.strip().strip("/")
    parts = PurePosixPath(text).parts if text else ()
    if ".." in parts or "\\" in text:
        raise ValidationError("path", path, "must stay inside the server root (no '..')",
                              "pass the file browser's current folder, e.g. 'work/lab'")
    return "/".join(parts)


def source_notebook(lang: object, notebooks_dir: Path | None = None) -> tuple[Path, str]:
    """(bundled file, copy name) for ``lang``; falls back to English when the translation is missing."""
    root = notebooks_dir or bundled_notebooks_dir()
    for key in dict.fromkeys((language_key(lang), "en")):
        rel, copy_name = LANGUAGES[key]
        candidate = root / rel
        if candidate.is_file():
            return candidate, copy_name
    raise NotFoundError(f"the bundled notebook {MAIN_NOTEBOOK} was not found in {root}",
                        "reinstall kfsm_lab (pip install --force-reinstall kfsm_lab), "
                        "or set c.KfsmLab.notebooks_dir to a folder holding it")


async def open_notebook(contents_manager: Any, folder: object, lang: object,
                        notebooks_dir: Path | None = None) -> dict[str, Any]:
    """Make sure the main notebook exists in ``folder``; return the path the frontend should open."""
    rel_folder = _folder(folder)
    if not await ensure_async(contents_manager.dir_exists(rel_folder)):
        raise NotFoundError(f"folder {rel_folder or '/'!r} does not exist on the server",
                            "open the file browser on an existing folder and try again")
    source, copy_name = source_notebook(lang, notebooks_dir)
    target = f"{rel_folder}/{copy_name}" if rel_folder else copy_name
    if await ensure_async(contents_manager.file_exists(target)):
        return {"path": target, "created": False, "language": language_key(lang)}
    notebook = nbformat.read(str(source), as_version=4)
    await ensure_async(contents_manager.save({"type": "notebook", "format": "json", "content": notebook},
                                             target))
    return {"path": target, "created": True, "language": language_key(lang), "source": source.name}
