"""The bundled notebooks and their headless runs (papermill): list, parameters, run, collect results.

A run writes into an output folder: the executed notebook, every figure it drew as PNG, and
``summary.json``. The notebook reports its own results by displaying a JSON object with the MIME type
:data:`SUMMARY_MIME`; the runner reads it back from the executed notebook, so the summary is what the
notebook itself saw.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KfsmError

SUMMARY_MIME = "application/vnd.kfsm-lab.summary+json"
MAIN = "sagemaker_pipeline"
KERNEL = "python3"


def notebooks_dir() -> Path:
    """``kfsm_lab/notebooks`` in an installed wheel, the repository's ``notebooks/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "notebooks", here.parent / "notebooks"):
        if (candidate / f"{MAIN}.ipynb").exists():
            return candidate
    raise KfsmError("the bundled notebooks are missing", "reinstall kfsm_lab (pip install --force-reinstall kfsm_lab)")


def list_notebooks() -> list[str]:
    """Names (without ``.ipynb``) relative to the notebooks folder, e.g. ``ja/sagemaker_pipeline``."""
    root = notebooks_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def path_of(name: str) -> Path:
    """A bundled notebook by name; a path that leads outside the bundled folder is refused, not run."""
    root = notebooks_dir()
    p = root / (name if name.endswith(".ipynb") else f"{name}.ipynb")
    if not p.resolve().is_relative_to(root.resolve()):
        raise KfsmError(f"{name!r} is not one of the bundled notebooks (it points outside {root})",
                        "name a bundled notebook (`kfsm-lab notebooks list`); to run a notebook of your own, use "
                        "papermill directly: `papermill YOUR.ipynb OUT.ipynb -p target local`")
    if not p.exists():
        raise KfsmError(f"no bundled notebook {name!r}", "see `kfsm-lab notebooks list`")
    return p


def _papermill() -> Any:
    """``import papermill`` without jsonschema's IRI grammar.

    When ``rfc3987_syntax`` is installed (Jupyter pulls it in), importing jsonschema — which nbformat
    does — builds a lark grammar for the ``iri`` string format: 1-5 s on a 2-core machine, more than
    all of papermill, for a format check notebook validation never makes. If jsonschema is not loaded
    yet (the CLI), it is loaded with that module hidden; a process that already has it keeps it as is.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail fast
        try:
            import jsonschema  # noqa: F401
        finally:
            del sys.modules["rfc3987_syntax"]
    import papermill

    return papermill


@functools.cache  # the bundled notebooks do not change while a process runs; each inspection took 0.1 s
def parameters(name: str) -> dict[str, dict[str, Any]]:
    """The tagged ``parameters`` cell: name → {default, type, help} (do not change the answer: it is shared)."""
    papermill = _papermill()

    return {k: {"default": v["default"], "type": v.get("inferred_type_name"), "help": v.get("help", "")}
            for k, v in papermill.inspect_notebook(str(path_of(name))).items()}


def coerce(value: str) -> Any:
    """``-p key=value`` text → bool/int/float/None/str, the way a person means it."""
    low = value.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def check_parameters(name: str, params: dict[str, Any]) -> None:
    """Refuse parameter names the notebook does not take (papermill would only warn and go on)."""
    import difflib

    known = parameters(name)
    unknown = sorted(set(params) - set(known))
    if unknown:
        close = [m for u in unknown for m in difflib.get_close_matches(u, list(known), n=1)]
        raise KfsmError(f"notebook {name!r} has no parameter {', '.join(map(repr, unknown))}",
                        (f"did you mean {close[0]!r}? " if close else "")
                        + f"it takes: {', '.join(known)} (see `kfsm-lab notebooks params {name}`)")


@dataclass
class NotebookRun:
    notebook: Path
    output_dir: Path
    ok: bool
    wall_seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    error: str | None = None


def _extract(nb_path: Path, out_dir: Path) -> tuple[dict[str, Any], list[str], dict[str, float]]:
    """Summary object, PNG files and per-cell seconds from an executed notebook."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    summary: dict[str, Any] = {}
    figures: list[str] = []
    cell_seconds: dict[str, float] = {}
    fig_dir = out_dir / "figures"
    for i, cell in enumerate(nb.cells):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("duration") is not None:
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("step-")]
            key = tags[0][5:] if tags else f"cell-{i}"
            cell_seconds[key] = cell_seconds.get(key, 0.0) + float(pm["duration"])
        for j, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                payload = data[SUMMARY_MIME]
                summary.update(json.loads(payload) if isinstance(payload, str) else payload)
            if "image/png" in data:
                fig_dir.mkdir(parents=True, exist_ok=True)
                label = (out.get("metadata", {}) or {}).get("kfsm-lab", {}).get("figure") or f"cell{i:02d}_{j}"
                path = fig_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}.png"
                path.write_bytes(base64.b64decode(data["image/png"]))
                figures.append(str(path))
    return summary, figures, cell_seconds


def _socket_kernel_manager(folder: str, started: Callable[[], None] | None = None) -> type:
    """A kernel manager whose channels are Unix sockets in ``folder`` (a private temporary folder).

    Over TCP every headless run printed the kernel's "running over TCP without encryption" warning —
    and was reachable by other users of the machine; local sockets are neither. ``started`` is called
    (on a worker thread) once the kernel process is launched and before papermill waits for it, so the
    caller's own slow preparation — the local cloud's start — overlaps the kernel's; if it raises, the
    kernel is shut down and no cell runs.
    """
    import asyncio

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class SocketKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport(self) -> str:
            return "ipc"

        @default("ip")
        def _ip(self) -> str:
            return str(Path(folder) / "kernel")

        async def start_kernel(self, **kw: Any) -> None:
            await super().start_kernel(**kw)
            if started is None:
                return
            try:
                await asyncio.to_thread(started)
            except BaseException:
                await self.shutdown_kernel(now=True)
                raise

    return SocketKernelManager


def run_notebook(name: str, params: dict[str, Any], output_dir: str | Path = "kfsm-lab-output",
                 progress: bool = True, kernel_name: str = KERNEL,
                 kernel_started: Callable[[], None] | None = None) -> NotebookRun:
    """Execute a bundled notebook headless; never raises for a failing cell (see ``.ok``/``.error``).

    ``kernel_started`` runs while the kernel starts, before the first cell (see
    :func:`_socket_kernel_manager`); what it raises is raised from here, with no cell run.
    """
    papermill = _papermill()
    from papermill.exceptions import PapermillExecutionError

    src = path_of(name)
    check_parameters(name, params)
    out_dir = Path(output_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    out_nb = out_dir / src.name
    t0 = time.perf_counter()
    error = None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kfsm-kernel-") as sockets:
        try:
            papermill.execute_notebook(str(src), str(out_nb), parameters=params, kernel_name=kernel_name,
                                       progress_bar=progress, cwd=str(out_dir), log_output=False,
                                       kernel_manager_class=_socket_kernel_manager(sockets, kernel_started),
                                       # every output is in once the last cell is: a graceful shutdown only
                                       # waited ~1 s for the kernel's interpreter to tear kfp, boto3 and
                                       # matplotlib down (the kernel holds no lease or file of its own)
                                       shutdown_kernel="immediate")
        except PapermillExecutionError as exc:
            error = f"cell {exc.cell_index} failed: {exc.ename}: {exc.evalue}"
    wall = time.perf_counter() - t0
    summary, figures, cell_seconds = _extract(out_nb, out_dir) if out_nb.exists() else ({}, [], {})
    summary.setdefault("cell_seconds", cell_seconds)
    summary.update({"wall_seconds": round(wall, 2), "output_notebook": str(out_nb), "ok": error is None,
                    "figures": figures})
    if error:
        summary["error"] = error
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return NotebookRun(out_nb, out_dir, error is None, wall, summary, figures, error)
