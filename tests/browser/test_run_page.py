"""The run page in a real JupyterLab: from the notebook's run link, live, logs, details, failure, terminate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect
from server.runs_fixtures import RUNS_REGION, finished_run, ready_settings

from kfsm_lab.names import STEP_DEPLOY, STEP_MODEL, STEP_TRAIN, STEP_TRANSFORM, STEPS

from .conftest import requires_chromium
from .labpage import LabPage
from .runpage_view import RunPageView, contrast, put_lab_setting

pytestmark = [pytest.mark.browser, requires_chromium]

NOTEBOOK = "run_link.ipynb"
THEMES = "@jupyterlab/apputils-extension:themes"


@pytest.fixture(scope="module")
def ready(lab_server: dict[str, Any]) -> Any:
    return ready_settings(RUNS_REGION)  # the runs' endpoints stay out of what the cost guard tests count


@pytest.fixture(scope="module")
def failed(ready: Any) -> Any:
    handle = finished_run(ready.replace(feature_dim=12))
    assert handle.state == "failed"
    return handle


@pytest.fixture
def paced(local_cloud: Any) -> Iterator[None]:
    """Transitions a person can watch: a job's pace is spread over its statuses (a training's four: about a
    second each), so the training is still running when the page has loaded on a busy machine (at 1.5 the
    whole training took 1.5 s, and CI's page was slower)."""
    local_cloud.admin("pace", {"pace": 4})
    try:
        yield
    finally:
        local_cloud.admin("pace", {"pace": 0})


@pytest.fixture
def dark(lab_server: dict[str, Any]) -> Iterator[None]:
    put_lab_setting(lab_server, THEMES, {"theme": "JupyterLab Dark"})
    try:
        yield
    finally:
        put_lab_setting(lab_server, THEMES, {"theme": "JupyterLab Light"})


def _write_notebook(root: Path, settings: Any) -> None:
    fields = {k: v for k, v in settings.public_dict().items() if v is not None}
    code = ("import kfsm_lab as kl\n"
            f"settings = kl.load_settings(**{json.dumps(fields)!s})\n"
            "run = kl.start_run(settings)\n"
            "kl.open_run(run.run_id)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / NOTEBOOK)


def test_run_link_opens_the_live_run_page(lab: LabPage, clean_root: Path, ready: Any, paced: None):
    _write_notebook(clean_root, ready)
    lab.open_notebook(NOTEBOOK)
    lab.run_all_cells()
    link = lab.page.locator(".jp-OutputArea-output a.kfsm-run-link")
    expect(link).to_contain_text("Run link")
    run_id = link.inner_text().split(":", 1)[1].strip()
    link.click()
    page = RunPageView(lab.page)
    expect(lab.tab(f"Run {run_id}")).to_be_visible(timeout=20_000)
    expect(page.nodes).to_have_count(len(STEPS), timeout=20_000)
    # live: the training node goes running, with SageMaker's word and a duration under its name
    train = page.node(STEP_TRAIN)
    expect(train).to_have_attribute("data-state", "running", timeout=30_000)
    expect(train.locator(".kfsm-lab-node-status")).to_contain_text(re.compile(r"\d+ s"))
    expect(page.node(STEP_DEPLOY)).to_have_attribute("data-state", "pending")
    expect(page.headline).to_contain_text("Now:")
    expect(page.headline).to_contain_text(f"Next: {STEP_MODEL}")
    lab.screenshot("mid-run-1400")
    lab.page.set_viewport_size({"width": 1024, "height": 768})
    lab.screenshot("mid-run-1024")
    lab.page.set_viewport_size({"width": 1400, "height": 900})

    # the training node's Logs: the step's own lines, then its CloudWatch stream
    train.click()
    expect(page.tab("Logs")).to_have_attribute("aria-selected", "true")
    expect(page.log).to_contain_text(f"kfsm-{run_id}-train", timeout=20_000)
    page.root.locator(".kfsm-lab-segment[data-source='sagemaker']").click()
    expect(page.log).to_contain_text(re.compile(r"\S"), timeout=30_000)
    page.tab("Details").click()
    history = page.root.locator(".kfsm-lab-history tbody tr")
    expect(history.first).to_have_attribute("data-status", "Starting", timeout=20_000)
    expect(page.root.locator(".kfsm-lab-details")).to_contain_text("arn:aws:sagemaker:")

    for name in STEPS:
        expect(page.node(name)).to_have_attribute("data-state", "succeeded", timeout=120_000)
    expect(page.headline).to_contain_text("Succeeded in")
    expect(history).not_to_have_count(1)  # Starting … Completed
    lab.screenshot("succeeded-details")
    page.tab("Metrics").click()
    expect(page.root.locator(".kfsm-lab-bars")).to_contain_text("train:msd")
    page.tab("Inputs/Outputs").click()
    expect(page.root.locator(".kfsm-lab-io")).to_contain_text("s3://")
    lab.page.set_viewport_size({"width": 1920, "height": 1080})
    lab.screenshot("succeeded-1920")


def test_failed_run_shows_red_node_reason_and_traceback(lab: LabPage, failed: Any):
    lab.run_command("Open run…")
    box = lab.page.locator(".jp-Dialog input")
    box.fill(failed.run_id)
    box.press("Enter")
    page = RunPageView(lab.page)
    train = page.node(STEP_TRAIN)
    expect(train).to_have_attribute("data-state", "failed", timeout=20_000)
    reason = next(s for s in failed.steps if s["name"] == STEP_TRAIN)["failure_reason"]
    expect(page.headline).to_contain_text(f"Failed at {STEP_TRAIN}: ")
    expect(page.headline).to_contain_text(reason[:40])
    for name in (STEP_MODEL, STEP_TRANSFORM, STEP_DEPLOY):
        expect(page.node(name)).to_have_attribute("data-state", "skipped")
    train.click()
    expect(page.log).to_contain_text("Traceback", timeout=20_000)
    lab.screenshot("failed")
    red = lab.page.evaluate("n => getComputedStyle(n).borderLeftColor", train.element_handle())
    err = lab.page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--jp-error-color1').trim()")
    assert red.replace(" ", "") == _rgb(err), (red, err)


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return f"rgb({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)})"


def test_terminate_from_the_runs_panel(lab: LabPage, ready: Any, paced: None):
    from kfsm_lab.pipeline import start_run

    handle = start_run(ready)
    lab.side_tab("kfsm-lab-runs").click()
    item = lab.page.locator(f".kfsm-lab-run[data-run-id='{handle.run_id}']")
    item.locator(".kfsm-lab-open-run").click()
    page = RunPageView(lab.page)
    expect(page.node(STEP_TRAIN)).to_have_attribute("data-state", "running", timeout=30_000)
    page.button("Terminate").click()
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"Terminate run {handle.run_id}?")
    expect(dialog.locator("button", has_text="Cancel")).to_be_focused()  # Enter must not terminate
    dialog.locator("button.jp-mod-warn", has_text="Terminate").click()
    expect(page.root).to_have_attribute("data-state", "canceled", timeout=60_000)
    expect(page.headline).to_contain_text("Terminated after")
    expect(page.button("Re-run")).to_be_enabled()
    lab.screenshot("terminated")


def test_link_in_a_new_tab_shows_the_same_page_dark(lab: LabPage, lab_server: dict[str, Any], failed: Any,
                                                    dark: None):
    url = f"{lab_server['base']}/kfsm-lab/ui/#/runs/details/{failed.run_id}"
    tab = lab.page.context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    tab.set_viewport_size({"width": 1024, "height": 768})
    tab.goto(url)
    page = RunPageView(tab)
    try:
        expect(page.nodes).to_have_count(len(STEPS), timeout=30_000)
    except AssertionError:
        raise AssertionError(f"page errors: {problems}") from None
    expect(page.node(STEP_TRAIN)).to_have_attribute("data-state", "failed")
    expect(page.headline).to_contain_text(f"Failed at {STEP_TRAIN}")
    assert tab.locator(".jp-LabShell").count() == 0  # outside the Lab shell
    page.node(STEP_TRAIN).click()
    expect(page.log).to_contain_text("Traceback", timeout=20_000)
    bg = tab.evaluate("() => getComputedStyle(document.querySelector('.kfsm-lab-runpage')).backgroundColor")
    assert bg not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), bg  # the Lab's dark theme
    checks = contrast(tab, [".kfsm-lab-headline", ".kfsm-lab-node-name", ".kfsm-lab-node-status",
                            ".kfsm-lab-runpage-meta", ".kfsm-lab-actions button", ".kfsm-lab-tab",
                            ".kfsm-lab-log", ".kfsm-lab-badge"])
    low = [c for c in checks if c["ratio"] < 4.5]
    assert checks and not low, low
    tab.screenshot(path=str(lab.artifacts / f"{lab.test_name}-standalone-dark-1024.png"))
    tab.goto(f"{lab_server['base']}/kfsm-lab/ui/#/runs/details/no-such-run-1234")
    tab.reload()
    expect(tab.locator(".kfsm-lab-headline")).to_contain_text("There is no pipeline run no-such-run-1234")
    tab.screenshot(path=str(lab.artifacts / f"{lab.test_name}-unknown-run.png"))
    tab.close()


def test_edited_five_task_pipeline_shows_five_nodes(lab: LabPage, ready: Any):
    """The page draws whatever pipeline ran: the kit's four steps plus the user's own evaluation step."""
    from pipeline.user_pipelines import mnist_with_evaluation

    from kfsm_lab.pipeline import start_run

    handle = start_run(ready, pipeline=mnist_with_evaluation).wait(timeout=240)
    assert handle.state == "succeeded", handle.error
    lab.side_tab("kfsm-lab-runs").click()
    lab.page.locator(f".kfsm-lab-run[data-run-id='{handle.run_id}'] .kfsm-lab-run-id").click()
    page = RunPageView(lab.page)
    expect(page.nodes).to_have_count(5, timeout=20_000)
    evaluate, transform = page.node("evaluate"), page.node(STEP_TRANSFORM)
    expect(evaluate).to_have_attribute("data-state", "succeeded")
    # laid out top-down: the evaluation step sits below the step it runs after. The graph is drawn again
    # when the run's details arrive, so a node can be between two drawings (no box) for a moment.
    def below() -> bool:
        e, t = evaluate.bounding_box(), transform.bounding_box()
        return bool(e and t and e["y"] > t["y"] + 40)

    for _ in range(100):  # up to ~10 s
        if below():
            break
        lab.page.wait_for_timeout(100)
    assert below(), (evaluate.bounding_box(), transform.bounding_box())
    evaluate.click()
    expect(page.log).to_contain_text("predictions in s3://", timeout=20_000)
    expect(page.root.locator(".kfsm-lab-segmented")).to_have_count(0)  # no CloudWatch for a plain component
    page.tab("Details").click()
    expect(page.root.locator(".kfsm-lab-details")).to_contain_text("This task creates no SageMaker resource.")
    expect(page.root.locator(".kfsm-lab-details")).to_contain_text(STEP_TRANSFORM)  # Runs after
    lab.screenshot("five-tasks")


def test_experiment_page_lists_runs_and_compares_two(lab: LabPage, ready: Any, failed: Any):
    from kfsm_lab.pipeline import attach

    done = finished_run(ready)
    lab.run_command("Open run…")
    box = lab.page.locator(".jp-Dialog input")
    box.fill(done.run_id)
    box.press("Enter")
    page = RunPageView(lab.page)
    expect(page.nodes).to_have_count(len(STEPS), timeout=20_000)
    page.root.locator(".kfsm-lab-runpage-links a", has_text="Experiment").click()
    exp = lab.page.locator(".kfsm-lab-experiment:visible")
    rows = exp.locator(".kfsm-lab-exp-runs tbody tr")
    expect(rows.filter(has_text=done.run_id)).to_have_count(1, timeout=20_000)
    expect(exp.locator(f"tr[data-run-id='{done.run_id}'] .kfsm-lab-endpoint-state")).to_have_attribute(
        "data-endpoint-state", "live")
    failed_row = exp.locator(f"tr[data-run-id='{attach(failed.run_id).run_id}'] .kfsm-lab-endpoint-state")
    expect(failed_row).to_have_text("—")  # it never made an endpoint
    expect(exp.locator(".kfsm-lab-exp-runs thead")).to_contain_text("feature_dim")  # it differs between the two
    expect(exp.locator(".kfsm-lab-exp-runs thead")).not_to_contain_text("run_id")  # per run by design
    compare = exp.locator(".kfsm-lab-compare")
    expect(compare).to_be_disabled()
    for run_id in (done.run_id, attach(failed.run_id).run_id):
        exp.locator(f"tr[data-run-id='{run_id}'] input[type=checkbox]").check()
    expect(compare).to_be_enabled()
    compare.click()
    table = exp.locator(".kfsm-lab-compare-table")
    expect(table.locator("tr.kfsm-lab-differs", has_text="feature_dim")).to_contain_text("12")
    expect(table).to_contain_text("train:msd")
    lab.screenshot("experiment-compare")
