"""Compile a pipeline to kfp's YAML: the kit's packaged one (same settings → same bytes) or any other."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..config import Settings


def compile_pipeline(path: str | Path, settings: Settings | None = None, pipeline: Any = None) -> Path:
    """Write ``pipeline`` (a ``@dsl.pipeline`` function), or the packaged pipeline built from ``settings``,
    to ``path`` and return the path.

    kfp writes no timestamp or random id into the IR, and the kit's defaults are plain values, so
    the same settings give the same bytes; the file is written atomically.
    """
    from kfp import compiler

    out = Path(path)
    if out.suffix not in (".yaml", ".yml"):
        raise ValidationError("output", str(path), "must end in .yaml or .yml (kfp 2 compiles to YAML)",
                              "e.g. -o mnist-classification-pipeline.yaml")
    if pipeline is None:
        if settings is None:
            raise ValueError("compile_pipeline needs settings (for the packaged pipeline) or a pipeline")
        from .definition import build_pipeline

        pipeline = build_pipeline(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".yaml", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        compiler.Compiler().compile(pipeline_func=pipeline, package_path=str(tmp_path))
        tmp_path.chmod(0o644)
        tmp_path.replace(out)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return out
