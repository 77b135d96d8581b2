"""Compile the pipeline to kfp's YAML, byte-for-byte the same for the same settings."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ValidationError
from .definition import build_pipeline

if TYPE_CHECKING:
    from ..config import Settings


def compile_pipeline(path: str | Path, settings: Settings, for_cluster: bool = True) -> Path:
    """Write the pipeline YAML to ``path`` (for a cluster unless told otherwise) and return the path.

    kfp writes no timestamp or random id into the IR, and the kit's defaults are plain values, so
    the same settings give the same bytes; the file is written atomically.
    """
    from kfp import compiler

    out = Path(path)
    if out.suffix not in (".yaml", ".yml"):
        raise ValidationError("output", str(path), "must end in .yaml or .yml (kfp 2 compiles to YAML)",
                              "e.g. -o mnist-classification-pipeline.yaml")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".yaml", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        compiler.Compiler().compile(pipeline_func=build_pipeline(settings, for_cluster=for_cluster),
                                    package_path=str(tmp_path))
        tmp_path.chmod(0o644)
        tmp_path.replace(out)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return out
