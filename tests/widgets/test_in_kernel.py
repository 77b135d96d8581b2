"""The panel in a real kernel (nbclient): worker-thread updates reach the panel's widgets, never other cells.

This is the ipywidgets#2358 / #4020 failure mode: output written from a background thread lands in
whichever cell runs at that moment. Here the worker does setup and a pipeline run while later cells
execute; afterwards every figure must sit in the panel's Output models and no cell may have caught
stray output from the worker.
"""

import uuid

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def executed(local_cloud):
    """Drive the panel from cells while its worker runs setup, the pipeline, predictions and clean-up."""
    tag = uuid.uuid4().hex[:8]
    cells = [
        "from kfsm_lab.config import load_settings\n"
        "from kfsm_lab.widgets import panel\n"
        f"p = panel(load_settings(target='local', iam_user='kuser-{tag}', role_name='krole-{tag}', "
        f"bucket='kfsm-kernel-{tag}'))\n"
        "p.controller.poll_interval = 0.3\n"
        "p",
        "p.buttons['setup'].click()",
        "import time\nfor _ in range(20):\n    time.sleep(0.1)  # a busy cell while the worker runs",
        "assert p.controller.wait(240), 'setup still busy'\n"
        "assert p.controller.last_error is None, p.controller.last_error\n"
        "p.buttons['run_pipeline'].click()",
        "for _ in range(30):\n    time.sleep(0.1)",
        "assert p.controller.wait(300)\n"
        "assert p.controller.wait_run(300).run_state == 'succeeded', p.controller.progress.run\n"
        "assert p.controller.last_error is None, p.controller.last_error\n"
        "time.sleep(1.5)\n"
        "p.buttons['predict'].click()\n"
        "assert p.controller.wait(240)\n"
        "assert p.controller.last_error is None, p.controller.last_error\n"
        "time.sleep(1.5)\n"
        "p.include_bucket.value = p.include_iam.value = True\n"
        "p.buttons['cleanup'].click()\n"
        "p.confirm_yes.click()\n"
        "assert p.controller.wait(240)\n"
        "assert p.controller.last_error is None, p.controller.last_error\n"
        "print('done', p.controller.progress.run_state)\n"
        "p.close()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", timeout=600, store_widget_state=True).execute()
    return nb


def test_worker_updates_land_in_the_panel_not_in_other_cells(executed):
    first, *rest = executed.cells
    assert [o["output_type"] for o in first.outputs] == ["display_data"]
    assert WIDGET_VIEW in first.outputs[0]["data"]  # the panel itself, shown once
    for i, cell in enumerate(rest[:-1], start=1):
        assert cell.outputs == [], f"cell {i} caught output from the worker thread: {cell.outputs}"
    assert [o.get("text") for o in rest[-1].outputs] == ["done succeeded\n"]

    state = executed.metadata["widgets"][WIDGET_STATE]["state"]
    outputs = [m["state"].get("outputs", []) for m in state.values() if m["model_name"] == "OutputModel"]
    pngs = [o for outs in outputs for o in outs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 3, "the progress figure and the prediction figures belong in the panel's Outputs"
    bars = [m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"
            and "kfsm-steps" in m["state"].get("value", "")]
    assert bars and bars[0].count('data-state="succeeded"') == 4, bars
