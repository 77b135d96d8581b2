"""The extension's UI for every person: Japanese throughout, AA contrast in both themes, keyboard only."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from server.endpoint_factory import KIT_TAG, clients, make_endpoint, unique
from server.runs_fixtures import RUNS_REGION, finished_run, ready_settings

from kfsm_lab.names import STEP_TRAIN, STEPS

from .conftest import requires_chromium
from .labpage import LabPage
from .runpage_view import RunPageView, contrast, put_lab_setting

pytestmark = [pytest.mark.browser, requires_chromium]

LANGUAGE = "@jupyterlab/translation-extension:plugin"
THEMES = "@jupyterlab/apputils-extension:themes"
#: Proper names and data that stay as they are in any language.
PROPER = {"SageMaker", "Kubeflow", "Pipelines", "KFP", "CloudWatch", "JupyterLab", "Jupyter", "kfsm_lab", "AWS",
          "ARN", "S3", "ID", "InService", "Completed", "Starting", "Downloading", "Training", "Uploading", "Creating",
          "Created", "Failed", "Stopped", "msd", "train", "test", "ml", "medium", "large", "us", "east", "aws"}
#: The extension's own chrome (not logs, values or other extensions' widgets).
UI_TEXT = [".kfsm-lab-runs-panel h2", ".kfsm-lab-runs-panel button", ".kfsm-lab-runs-panel .kfsm-lab-badge",
           ".kfsm-lab-runs-panel .kfsm-lab-step-state", ".kfsm-lab-runs-panel .kfsm-lab-muted",
           ".kfsm-lab-endpoints-panel h2", ".kfsm-lab-endpoints-panel th", ".kfsm-lab-endpoints-panel button",
           ".kfsm-lab-endpoints-panel p", ".kfsm-lab-costguard",
           ".kfsm-lab-runpage h1", ".kfsm-lab-runpage .kfsm-lab-badge", ".kfsm-lab-runpage-meta",
           ".kfsm-lab-headline", ".kfsm-lab-actions button", ".kfsm-lab-node-status", ".kfsm-lab-tab",
           ".kfsm-lab-segment", ".kfsm-lab-log-count", ".kfsm-lab-search-input", ".kfsm-lab-download",
           ".kfsm-lab-tabpanel h3", ".kfsm-lab-fields th", ".kfsm-lab-history th", ".kfsm-lab-side-hint",
           ".kfsm-lab-tabpanel p"]


@pytest.fixture(scope="module")
def ready(lab_server: dict[str, Any]) -> Any:
    return ready_settings(RUNS_REGION)  # the runs' endpoints stay out of what the cost guard tests count


@pytest.fixture(scope="module")
def done(ready: Any) -> Any:
    handle = finished_run(ready)
    assert handle.state == "succeeded", handle.error
    return handle


@pytest.fixture
def endpoint(lab_server: dict[str, Any], local_cloud: Any) -> Iterator[tuple[Any, str]]:
    """A kit endpoint in the lab's region for the cost guard to show; deleted afterwards."""
    cloud = clients(local_cloud.endpoint_url, local_cloud.access_key_id, local_cloud.secret_access_key,
                    lab_server["region"])
    made = make_endpoint(cloud, unique("kfsm-a11y"), tags=[KIT_TAG])
    try:
        yield cloud, made["endpoint"]
    finally:
        from botocore.exceptions import ClientError

        with contextlib.suppress(ClientError):  # a test may have deleted it already
            cloud.sagemaker.delete_endpoint(EndpointName=made["endpoint"])
            cloud.sagemaker.delete_endpoint_config(EndpointConfigName=made["config"])


@pytest.fixture
def japanese(lab_server: dict[str, Any]) -> Iterator[None]:
    put_lab_setting(lab_server, LANGUAGE, {"locale": "ja_JP"})
    try:
        yield
    finally:
        put_lab_setting(lab_server, LANGUAGE, {"locale": "en"})


def _english_words(texts: list[str], data: set[str]) -> list[str]:
    found = []
    for text in texts:
        text = re.sub(r"kfsm-[A-Za-z0-9-]+", " ", text)  # names of the kit's SageMaker resources
        text = re.sub(r"\b\d{6}-\d{6}-[0-9a-f]{4}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b", " ", text)  # run ids
        for token in sorted(data, key=len, reverse=True):
            text = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", " ", text)
        text = re.sub(r"`[^`]*`", " ", text)  # commands to type stay as they are
        for word in re.findall(r"[A-Za-z][A-Za-z_]+", text):
            if word not in PROPER:
                found.append(f"{word!r} in {text.strip()[:80]!r}")
    return found


def _texts(lab: LabPage) -> list[str]:
    return lab.page.evaluate(
        "sels => sels.flatMap(s => [...document.querySelectorAll(s)].filter(e => e.offsetParent)"
        ".map(e => (e.innerText || e.placeholder || '') + ' ' + (e.getAttribute('aria-label') || '')))", UI_TEXT)


def test_japanese_lab_shows_no_english_in_the_extension(lab: LabPage, done: Any, endpoint: tuple[Any, str],
                                                        japanese: None):
    lab.page.goto(lab.server["url"])
    expect(lab.page.locator(".jp-Launcher")).to_be_visible(timeout=90_000)
    expect(lab.page.locator(".jp-Launcher")).to_contain_text("コンソール")  # the Lab itself is in Japanese
    # data, not UI strings: ids, task, resource, parameter and output names
    data = {done.run_id, *STEPS, *(s["job_name"] or "" for s in done.steps),
            *done.parameters, *(k for s in done.steps for k in (s.get("outputs") or {})),
            *(k for s in done.steps for k in (s.get("inputs") or {}))} - {""}
    guard = lab.status_item(".kfsm-lab-costguard")
    expect(guard).to_contain_text(re.compile(r"稼働中.*[1-9]\d* 個"), timeout=20_000)  # the endpoint, counted
    lab.side_tab("kfsm-lab-runs").click()
    item = lab.page.locator(f".kfsm-lab-run[data-run-id='{done.run_id}']")
    expect(item).to_contain_text("成功", timeout=20_000)
    # other tests' runs may be listed too: their ids (and the names derived from them) are data as well
    data |= set(lab.page.locator(".kfsm-lab-run").evaluate_all("rs => rs.map(r => r.dataset.runId)"))
    assert not _english_words(_texts(lab), data), _english_words(_texts(lab), data)
    lab.screenshot("ja-runs-panel")

    guard.click()
    expect(lab.page.locator(".kfsm-lab-endpoint-row").first).to_be_visible(timeout=20_000)
    names = set(lab.page.locator(".kfsm-lab-endpoint-row").evaluate_all("rs => rs.map(r => r.dataset.endpoint)"))
    assert not _english_words(_texts(lab), data | names), _english_words(_texts(lab), data | names)
    lab.page.locator(".kfsm-lab-endpoint-row .kfsm-lab-delete").first.click()
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("削除しますか")
    words = _english_words([dialog.inner_text()], data | names)
    assert not words, words
    dialog.locator("button", has_text="キャンセル").click()
    lab.screenshot("ja-cost-guard")

    item.locator(".kfsm-lab-open-run").click()
    page = RunPageView(lab.page)
    expect(page.nodes).to_have_count(len(STEPS), timeout=20_000)
    expect(page.headline).to_contain_text("成功")
    page.node(STEP_TRAIN).click()
    for tab in ("ログ", "詳細", "入力/出力", "メトリクス"):
        page.tab(tab).click()
        lab.page.wait_for_timeout(400)
        words = _english_words(_texts(lab), data | names)
        assert not words, (tab, words)
    page.tab("詳細").click()
    expect(page.root.locator(".kfsm-lab-history")).to_be_visible(timeout=20_000)
    lab.screenshot("ja-run-page")
    lab.page.set_viewport_size({"width": 1024, "height": 768})
    lab.screenshot("ja-run-page-1024")


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_contrast_of_extension_text_is_aa_in_both_themes(lab: LabPage, lab_server: dict[str, Any], done: Any,
                                                         endpoint: tuple[Any, str], theme: str):
    put_lab_setting(lab_server, THEMES, {"theme": theme})
    try:
        lab.page.goto(lab.server["url"])
        expect(lab.page.locator(".jp-Launcher")).to_be_visible(timeout=90_000)
        expect(lab.page.locator("body")).to_have_attribute("data-jp-theme-name", theme)
        guard = lab.status_item(".kfsm-lab-costguard")
        expect(guard).to_contain_text(re.compile(r"[1-9]\d* SageMaker endpoints? live"), timeout=20_000)
        lab.side_tab("kfsm-lab-runs").click()
        expect(lab.page.locator(f".kfsm-lab-run[data-run-id='{done.run_id}']")).to_be_visible(timeout=20_000)
        guard.click()
        expect(lab.page.locator(".kfsm-lab-endpoint-row").first).to_be_visible(timeout=20_000)
        checks = contrast(lab.page, [*UI_TEXT, ".kfsm-lab-runs-panel .kfsm-lab-step-name",
                                     ".kfsm-lab-runs-panel .kfsm-lab-run-id", ".kfsm-lab-endpoints-panel td",
                                     ".kfsm-lab-message", ".kfsm-lab-error"])
        assert any(c["selector"] == ".kfsm-lab-costguard" for c in checks)
        low = [c for c in checks if c["ratio"] < 4.5]
        assert not low, low
        lab.screenshot(f"contrast-{theme.split()[-1].lower()}")
    finally:
        put_lab_setting(lab_server, THEMES, {"theme": "JupyterLab Light"})


def test_keyboard_only_walk_through_run_page_and_cost_guard(lab: LabPage, done: Any, endpoint: tuple[Any, str]):
    cloud, name = endpoint
    keys = lab.page.keyboard
    lab.run_command("Open run…")  # the palette is reached with Ctrl+Shift+C and Enter
    keys.type(done.run_id)
    keys.press("Enter")
    page = RunPageView(lab.page)
    expect(page.nodes).to_have_count(len(STEPS), timeout=20_000)

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            keys.press("Tab")
            if lab.page.evaluate("s => !!document.activeElement?.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(".kfsm-lab-node")
    ring = lab.page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert ring == "2px", ring
    keys.press("Enter")
    expect(page.tab("Logs")).to_have_attribute("aria-selected", "true")
    tab_to(".kfsm-lab-tab[aria-selected='true']")
    keys.press("ArrowRight")
    expect(page.tab("Details")).to_be_focused()
    expect(page.tab("Details")).to_have_attribute("aria-selected", "true")
    expect(page.root.locator(".kfsm-lab-details")).to_contain_text("arn:aws:sagemaker:", timeout=20_000)
    lab.screenshot("keyboard-run-page")

    lab.run_command("SageMaker Endpoints (cost guard)")
    delete = f"button[aria-label='Delete {name}']"
    tab_to(delete, limit=120)
    # the panel is rebuilt on every poll; the focus must stay on the same button through it (it fell to the
    # page body once, and an Enter right after a poll did nothing): a refresh that moves no focus, then wait
    # until the button is a new element
    lab.page.evaluate("s => { document.querySelector(s).dataset.old = '1' }", delete)
    lab.page.locator(".kfsm-lab-endpoints-panel .kfsm-lab-refresh").dispatch_event("click")
    expect(lab.page.locator(f"{delete}:not([data-old])")).to_have_count(1, timeout=20_000)
    expect(lab.page.locator(delete)).to_be_focused()
    lab.screenshot("keyboard-endpoints-after-a-poll")
    keys.press("Enter")
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(name)
    expect(dialog.locator("button", has_text="Cancel")).to_be_focused()
    keys.press("Escape")
    expect(dialog).to_have_count(0)
    assert name in {e["EndpointName"] for e in cloud.sagemaker.list_endpoints()["Endpoints"]}
