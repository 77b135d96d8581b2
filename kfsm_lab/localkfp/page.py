# ruff: noqa: E501 - the page is one HTML document
"""A minimal run and experiment page, for ``kfp.Client``'s links when no Jupyter server is there.

In JupyterLab the kit's run page takes over (``KF_PIPELINES_UI_ENDPOINT`` then points at it); this
page answers the same KFP UI fragments (``#/runs/details/<id>``, ``#/experiments/details/<id>``)
on the local Kubeflow Pipelines' own port, from its own REST API, in English or Japanese.
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Kubeflow Pipelines (local)</title>
<style>
:root { color-scheme: light dark; --fg:#1b1b1b; --bg:#fff; --muted:#555; --line:#ccc;
  --ok:#1e7d32; --run:#1565c0; --bad:#c62828; --wait:#616161; --cancel:#8d5a00; }
@media (prefers-color-scheme: dark) { :root { --fg:#eee; --bg:#1e1e1e; --muted:#bbb; --line:#555;
  --ok:#81c784; --run:#90caf9; --bad:#ef9a9a; --wait:#bdbdbd; --cancel:#ffcc80; } }
body { font: 15px/1.45 system-ui, "Noto Sans CJK JP", sans-serif; color: var(--fg); background: var(--bg);
  margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.3rem; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.muted { color: var(--muted); } .s { font-weight: 600; }
.SUCCEEDED { color: var(--ok); } .RUNNING, .PENDING, .CANCELING { color: var(--run); }
.FAILED { color: var(--bad); } .SKIPPED { color: var(--wait); } .CANCELED { color: var(--cancel); }
a { color: var(--run); } pre { white-space: pre-wrap; }
</style></head><body><main id="app" aria-live="polite">…</main>
<script>
const ja = (navigator.language || "").startsWith("ja");
const T = ja ? {run:"実行", exp:"実験", task:"タスク", state:"状態", start:"開始", time:"時間", error:"エラー",
  none:"実行 ID がありません。kfp.Client のリンクを開いてください。", notfound:"見つかりません", runs:"実行一覧",
  states:{PENDING:"待機中",RUNNING:"実行中",SUCCEEDED:"成功",FAILED:"失敗",SKIPPED:"スキップ",CANCELING:"キャンセル中",CANCELED:"キャンセル済み"}}
 : {run:"Run", exp:"Experiment", task:"Task", state:"State", start:"Started", time:"Duration", error:"Error",
  none:"No run id: open a link printed by kfp.Client.", notfound:"Not found", runs:"Runs", states:{}};
const app = document.getElementById("app");
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const st = s => `<span class="s ${esc(s)}">${esc(T.states[s] || s)}</span>`;
const t = v => (v && !v.startsWith("1970")) ? new Date(v) : null;
const dur = (a, b) => { const s = t(a), e = t(b) || (s && new Date()); return s ? ((e - s) / 1000).toFixed(1) + " s" : ""; };
async function api(p) { const r = await fetch("apis/v2beta1/" + p); if (!r.ok) throw new Error((await r.json()).message || r.status); return r.json(); }
async function showRun(id) {
  const r = await api("runs/" + encodeURIComponent(id));
  const rows = (r.run_details?.task_details || []).map(k => `<tr><td>${esc(k.display_name)}</td><td>${st(k.state)}</td>
    <td>${t(k.start_time)?.toLocaleTimeString() ?? ""}</td><td>${dur(k.start_time, k.end_time)}</td>
    <td>${esc(k.error?.message)}</td></tr>`).join("");
  app.innerHTML = `<h1>${T.run}: ${esc(r.display_name)}</h1><p>${st(r.state)} <span class="muted">${esc(r.run_id)}</span>
    · <a href="#/experiments/details/${esc(r.experiment_id)}">${T.exp}</a></p>
    ${r.error ? `<pre class="FAILED">${esc(r.error.message)}</pre>` : ""}
    <table><thead><tr><th>${T.task}</th><th>${T.state}</th><th>${T.start}</th><th>${T.time}</th><th>${T.error}</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
  return !["SUCCEEDED","FAILED","SKIPPED","CANCELED"].includes(r.state);
}
async function showExperiment(id) {
  const e = await api("experiments/" + encodeURIComponent(id));
  const rs = await api("runs?page_size=100&sort_by=created_at%20desc&experiment_id=" + encodeURIComponent(id));
  const rows = (rs.runs || []).map(r => `<tr><td><a href="#/runs/details/${esc(r.run_id)}">${esc(r.display_name)}</a></td>
    <td>${st(r.state)}</td><td>${t(r.created_at)?.toLocaleString() ?? ""}</td><td>${dur(r.created_at, r.finished_at)}</td></tr>`).join("");
  app.innerHTML = `<h1>${T.exp}: ${esc(e.display_name)}</h1><h2>${T.runs}</h2><table><thead><tr><th>${T.run}</th>
    <th>${T.state}</th><th>${T.start}</th><th>${T.time}</th></tr></thead><tbody>${rows}</tbody></table>`;
  return (rs.runs || []).some(r => !["SUCCEEDED","FAILED","SKIPPED","CANCELED"].includes(r.state));
}
let timer = null;
async function route() {
  clearTimeout(timer);
  const m = location.hash.match(/^#\\/(runs|experiments)\\/details\\/([^/?#]+)/);
  if (!m) { app.textContent = T.none; return; }
  try {
    const live = await (m[1] === "runs" ? showRun(m[2]) : showExperiment(m[2]));
    if (live && !document.hidden) timer = setTimeout(route, 1000);
  } catch (err) { app.innerHTML = `<h1>${T.notfound}</h1><p>${esc(err.message)}</p>`; }
}
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => { if (!document.hidden) route(); });
route();
</script></body></html>
"""
