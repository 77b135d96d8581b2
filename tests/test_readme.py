"""The README's promises: two one-line commands, .ci/run runs the second, the API example runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_two_quick_start_commands_and_ci_runs_the_test_line():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 1 for b in blocks)
    run_line, test_line = (b.strip() for b in blocks)
    assert run_line.endswith("kfsm-lab run")
    assert test_line in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_python_api_example_runs(local_cloud, capsys):
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    assert namespace["report"].accuracy > 0.3
    assert "held-out accuracy" in capsys.readouterr().out
    assert namespace["run"].state == "succeeded"


@pytest.mark.slow
def test_pipeline_as_code_example_runs(local_cloud, tmp_path, monkeypatch, capsys):
    """The README's pipeline-as-code example, as printed: kit components, kfp compile, a plain kfp.Client."""
    monkeypatch.chdir(tmp_path)
    section = README.split("## The pipeline as code", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    module = tmp_path / "readme_pipeline.py"  # a file, not exec of a string: kfp reads the functions' source
    module.write_text(code)
    namespace: dict = {"__name__": "readme_pipeline"}
    exec(compile(code, str(module), "exec"), namespace)  # noqa: S102 - the README's own example
    assert namespace["run"].state == "succeeded"
    assert len(namespace["run"].steps) == 4
