"""What a person does in JupyterLab, as a small helper over a Playwright page.

Waits are on what a person would wait for (the Launcher, the kernel saying "Idle"), never on
sleeps: running a cell before the kernel is connected silently drops the execution.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

LAB_TIMEOUT_MS = 90_000
KERNEL_TIMEOUT_MS = 60_000
IDLE = re.compile(r"\|\s*(Idle|アイドル)")  # the Lab in English or Japanese
RAN = re.compile(r"\[\d+\]")


class LabPage:
    """One browser tab on the test JupyterLab."""

    def __init__(self, page: Page, server: dict[str, Any], artifacts: Path, test_name: str) -> None:
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self.test_name = re.sub(r"[^\w.-]+", "_", test_name)
        self._shots = 0

    # -- navigation -----------------------------------------------------------------------
    def open(self) -> None:
        """Load /lab and wait until the Launcher is up."""
        self.page.goto(self.server["url"])
        expect(self.page.locator(".jp-Launcher")).to_be_visible(timeout=LAB_TIMEOUT_MS)

    def run_command(self, label: str) -> None:
        """Run a command through the command palette, as a person typing its name."""
        box = self.page.locator(".jp-ModalCommandPalette .lm-CommandPalette-input")
        for _ in range(3):  # the shortcut toggles: a press can close a palette that was still open
            self.page.keyboard.press("Control+Shift+C")
            try:
                expect(box).to_be_visible(timeout=3_000)
                break
            except AssertionError:
                continue
        expect(box).to_be_visible()
        box.fill(label)
        # Enter runs the highlighted match, as a person would do; a click can land mid-re-render.
        active = self.page.locator(".jp-ModalCommandPalette .lm-CommandPalette-item.lm-mod-active")
        expect(active).to_contain_text(label)
        box.press("Enter")
        expect(box).to_be_hidden()

    # -- parts of the screen ----------------------------------------------------------------
    def launcher_card(self, label: str) -> Locator:
        return self.page.locator(".jp-LauncherCard", has_text=label)

    def tab(self, title: str) -> Locator:
        return self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=title)

    def status_item(self, selector: str) -> Locator:
        return self.page.locator(f"#jp-main-statusbar {selector}")

    def side_tab(self, widget_id: str) -> Locator:
        return self.page.locator(f".jp-SideBar .lm-TabBar-tab[data-id='{widget_id}']")

    # -- notebooks --------------------------------------------------------------------------
    def wait_kernel_idle(self, timeout: int = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the status bar says the kernel is Idle: the only reliable "ready to run" sign."""
        expect(self.page.locator(".jp-StatusBar-Widget", has_text=IDLE).first).to_be_visible(timeout=timeout)

    def open_notebook(self, path: str) -> None:
        """Open a notebook from the server root by its path, as a link would."""
        # ?reset: only this notebook, not whatever the workspace had open before
        self.page.goto(f"{self.server['base']}/lab/tree/{path}?reset&token={self.server['token']}")
        name = path.rsplit("/", 1)[-1]
        current = self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text=name)
        expect(current).to_be_visible(timeout=LAB_TIMEOUT_MS)
        expect(self.page.locator(".jp-NotebookPanel:visible .jp-Cell").first).to_be_visible()

    def run_all_cells(self, timeout: float = KERNEL_TIMEOUT_MS) -> None:
        """Run every cell once the kernel is ready; return when each code cell has run.

        Raises AssertionError at once, with the error text, when a cell fails (the rest would
        never run), instead of waiting for the timeout.
        """
        self.wait_kernel_idle()
        code_cells = self.page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
        total = code_cells.count()
        japanese = self.page.locator(".jp-StatusBar-Widget", has_text="アイドル").count() > 0
        self.run_command("すべてのセルを実行" if japanese else "Run All Cells")  # the palette speaks the Lab's language
        done = code_cells.locator(".jp-InputPrompt", has_text=RAN)
        errors = code_cells.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                                    ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        deadline = time.monotonic() + timeout / 1000
        while True:
            if errors.count():
                raise AssertionError(f"a cell failed: {errors.first.inner_text()[-2000:]}")
            if done.count() >= total:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{done.count()} of {total} cells ran within {timeout / 1000:.0f} s")
            self.page.wait_for_timeout(250)
        self.wait_kernel_idle()
        if errors.count():  # the last cell may fail after the count is reached
            raise AssertionError(f"a cell failed: {errors.first.inner_text()[-2000:]}")

    # -- evidence ---------------------------------------------------------------------------
    def screenshot(self, label: str) -> Path:
        """Save a PNG under tests/artifacts/, named after the test, in the order taken."""
        self._shots += 1
        path = self.artifacts / f"{self.test_name}-{self._shots:02d}-{label}.png"
        self.page.screenshot(path=str(path))
        return path
