// The panel's status line (a polite live region) and its error box (an alert with the fixes as
// buttons). Both elements stay in place and only their content changes, so assistive technology
// announces each new status and each new error once.
function button(text, onClick, extra = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `jupyter-button kfsm-button ${extra}`.trim();
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function render({ model, el }) {
  el.classList.add("kfsm-notice");
  const status = document.createElement("div");
  status.className = "kfsm-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  const spinner = document.createElement("span");
  spinner.className = "kfsm-spinner";
  spinner.setAttribute("aria-hidden", "true");
  const statusText = document.createElement("span");
  statusText.className = "kfsm-status-text";
  status.append(spinner, statusText);
  const box = document.createElement("div");
  box.className = "kfsm-error";
  box.setAttribute("role", "alert");
  el.append(status, box);
  let logOpen = false;

  function draw() {
    statusText.textContent = model.get("status");
    spinner.hidden = !model.get("busy");
    const err = model.get("error") || {};
    const labels = model.get("labels") || {};
    box.hidden = !err.message;
    box.replaceChildren();
    if (!err.message) return;
    const title = document.createElement("div");
    title.className = "kfsm-error-title";
    title.textContent = err.title;
    const message = document.createElement("div");
    message.className = "kfsm-error-message";
    message.textContent = err.message;
    box.append(title, message);
    if (err.hint) {
      const hint = document.createElement("div");
      hint.className = "kfsm-error-hint";
      const strong = document.createElement("strong");
      strong.textContent = `${labels.hint}: `;
      hint.append(strong, document.createTextNode(err.hint));
      box.append(hint);
    }
    const row = document.createElement("div");
    row.className = "kfsm-error-actions";
    for (const [fix, text] of err.fixes || []) {
      row.append(button(text, () => model.send({ fix }), "mod-primary"));
    }
    if (err.log !== undefined && err.log !== null) {
      const pre = document.createElement("pre");
      pre.className = "kfsm-log";
      pre.textContent = err.log || labels.log_empty;
      pre.hidden = !logOpen;
      pre.tabIndex = 0;
      pre.setAttribute("aria-label", labels.log_title || "log");
      const toggle = button(logOpen ? labels.hide_log : labels.show_log, () => {
        logOpen = !logOpen;
        pre.hidden = !logOpen;
        toggle.textContent = logOpen ? labels.hide_log : labels.show_log;
        toggle.setAttribute("aria-expanded", String(logOpen));
      });
      toggle.setAttribute("aria-expanded", String(logOpen));
      row.append(toggle);
      row.append(button(labels.dismiss, () => model.send({ fix: "dismiss" })));
      box.append(row, pre);
    } else {
      row.append(button(labels.dismiss, () => model.send({ fix: "dismiss" })));
      box.append(row);
    }
    if (err.traceback) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = labels.traceback;
      const pre = document.createElement("pre");
      pre.className = "kfsm-log";
      pre.textContent = err.traceback;
      details.append(summary, pre);
      box.append(details);
    }
  }

  for (const name of ["status", "busy", "error", "labels"]) model.on(`change:${name}`, draw);
  draw();
}

export default { render };
