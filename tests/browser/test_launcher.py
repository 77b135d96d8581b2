"""The launcher card and the palette command copy the main notebook into the folder and open it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import requires_chromium
from .labpage import LabPage

pytestmark = [pytest.mark.browser, requires_chromium]

CARD = "SageMaker Pipeline Lab"
NOTEBOOK = "sagemaker_pipeline.ipynb"


def test_launcher_card_copies_and_opens_notebook(lab: LabPage, clean_root: Path):
    card = lab.launcher_card(CARD)
    expect(card).to_be_visible()
    # in the Notebook row, beside the kernel: seen without scrolling on a 1024×768 screen
    lab.page.set_viewport_size({"width": 1024, "height": 768})
    section = lab.page.locator(".jp-Launcher-section", has=card)
    expect(section.locator(".jp-Launcher-sectionTitle")).to_have_text("Notebook")
    box = card.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768, box
    # a coloured icon, not the grey one-colour glyph
    src = card.locator(".jp-LauncherCard-icon img").get_attribute("src") or ""
    fills = set(re.findall(r"fill%3D%22(%23[0-9a-f]{6})", src))
    assert len(fills) >= 3, src[:200]
    lab.screenshot("launcher-1024")
    lab.page.set_viewport_size({"width": 1400, "height": 900})

    card.click()
    expect(lab.tab(NOTEBOOK)).to_be_visible(timeout=30_000)
    lab.wait_kernel_idle()
    copied = clean_root / NOTEBOOK
    assert copied.is_file()
    cells = json.loads(copied.read_text())["cells"]
    first_heading = next(c for c in cells if c["cell_type"] == "markdown")
    expect(lab.page.locator(".jp-NotebookPanel .jp-MarkdownOutput").first).to_contain_text(
        "".join(first_heading["source"]).lstrip("# ").splitlines()[0][:20])
    lab.screenshot("notebook-open")


def test_palette_command_opens_existing_copy_without_overwriting(lab: LabPage, clean_root: Path):
    """A user's own edited copy is what opens; the kit never overwrites it."""
    mine = {"cells": [{"cell_type": "markdown", "id": "mine", "metadata": {}, "source": ["# My own notes"]}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}
    copied = clean_root / NOTEBOOK
    copied.write_text(json.dumps(mine))
    before = copied.read_bytes()

    lab.run_command(CARD)
    expect(lab.tab(NOTEBOOK)).to_be_visible(timeout=30_000)
    expect(lab.page.locator(".jp-NotebookPanel .jp-MarkdownOutput").first).to_contain_text("My own notes")
    assert copied.read_bytes() == before
    assert sorted(p.name for p in clean_root.iterdir() if p.suffix == ".ipynb") == [NOTEBOOK]


def test_page_helper_runs_cells_after_kernel_is_idle(lab: LabPage, clean_root: Path):
    """The helper the full notebook run builds on: wait for Idle, run all, every cell numbered."""
    nb = {"cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": [src]} for i, src in enumerate(["x = 6 * 7", "print(f'answer={x}')"])],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (clean_root / "hello.ipynb").write_text(json.dumps(nb))
    lab.open_notebook("hello.ipynb")
    lab.run_all_cells()
    expect(lab.page.locator(".jp-OutputArea-output", has_text="answer=42")).to_be_visible()

    # a failing cell is reported at once, with its error
    nb["cells"].append({**nb["cells"][0], "id": "boom", "source": ["1 / 0"]})
    (clean_root / "broken.ipynb").write_text(json.dumps(nb))
    lab.open_notebook("broken.ipynb")
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        lab.run_all_cells()
