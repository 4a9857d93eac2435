"""The HTML report's stylesheet and its one script (draws the figures, marks when done)."""

from __future__ import annotations

CSS = """
:root{--bg:#f4f6fb;--card:#fff;--ink:#212529;--muted:#6c757d;--line:#e6e9f0;--accent:#4c6ef5;
--ok:#2b8a3e;--ok-bg:#d3f9d8;--bad:#c92a2a;--bad-bg:#ffe3e3;--na:#495057;--na-bg:#e9ecef;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Liberation Sans",sans-serif}
.wrap{max-width:1280px;margin:0 auto;padding:0 24px}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
background:#f1f3f5;padding:1px 5px;border-radius:4px}
header.top{background:linear-gradient(120deg,#1c2541 0%,#3a506b 100%);color:#fff;padding:26px 0 58px}
header.top code{background:rgba(255,255,255,.14);color:#fff}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:11.5px;opacity:.75}
h1{margin:4px 0 6px;font-size:28px;font-weight:650}
.meta{opacity:.85}
.verdict{margin-top:12px;display:flex;gap:8px;flex-wrap:wrap}
.pill{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12.5px;font-weight:600;
white-space:nowrap}
.pill.ok{background:var(--ok-bg);color:var(--ok)}.pill.bad{background:var(--bad-bg);color:var(--bad)}
.pill.na{background:var(--na-bg);color:var(--na)}
main.wrap{margin-top:-38px;padding-bottom:40px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px;margin-bottom:18px}
.kpi{background:var(--card);border-radius:12px;padding:14px 16px;box-shadow:0 1px 3px rgba(16,24,40,.08),
0 4px 14px rgba(16,24,40,.05);border-top:3px solid var(--accent)}
.kpi.bad{border-top-color:var(--bad)}
.kpi-label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.kpi-value{font-size:24px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.kpi-sub{color:var(--muted);font-size:12px}
.alert{background:#fff4e6;border:1px solid #ffd8a8;color:#a6570f;border-radius:8px;padding:8px 12px;
margin:0 0 12px}
section{background:var(--card);border-radius:12px;padding:18px 22px 20px;margin:0 0 18px;
box-shadow:0 1px 3px rgba(16,24,40,.08),0 4px 14px rgba(16,24,40,.04)}
h2{font-size:18px;margin:0 0 12px;font-weight:650}
h3{font-size:14px;margin:14px 0 8px;color:#343a40;text-transform:uppercase;letter-spacing:.04em}
.two>div>h3:first-child{margin-top:0}
.lead{color:var(--muted);margin:-6px 0 12px}
.muted{color:var(--muted)}
.note{color:var(--muted);font-size:12px}
.two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:24px}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.chart{min-height:340px;border:1px solid var(--line);border-radius:10px;overflow:hidden}
.chart.wide{grid-column:1/-1}
@media (max-width:900px){.grid,.two{grid-template-columns:minmax(0,1fr)}.kpi-value{font-size:20px}}
table{border-collapse:collapse;width:100%}
table.facts th{text-align:left;color:var(--muted);font-weight:500;padding:5px 16px 5px 0;white-space:nowrap;
vertical-align:top;width:1%}
table.facts td{padding:5px 0;border-bottom:1px solid var(--line)}
table.data th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;
letter-spacing:.03em;padding:8px 10px;border-bottom:2px solid var(--line);white-space:nowrap}
table.data td{padding:7px 10px;border-bottom:1px solid var(--line)}
table.data tbody tr:nth-child(even){background:#fafbfd}
table.data tr.total td{font-weight:650;border-top:2px solid var(--line);background:#f5f7ff}
table.small td,table.small th{padding:4px 8px;font-size:12.5px}
.num{text-align:right !important;font-variant-numeric:tabular-nums;white-space:nowrap}
td.bad{color:var(--bad);font-weight:600}td.good{color:var(--ok)}
.scroll{overflow-x:auto}
.nowrap{white-space:nowrap}
table.data tr.group td{border-top:2px solid var(--line)}
.flow{display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start}
.step:not(:last-child)::after{content:"\\2192";position:absolute;right:-18px;top:10px;
color:#adb5bd;font-size:16px}
.step{position:relative;flex:1 1 170px;max-width:320px;border-radius:10px;padding:10px 12px;
border:1px solid var(--line);
background:#f8f9fa}
.step.ok{border-color:#b2f2bb;background:#ebfbee}.step.bad{border-color:#ffc9c9;background:#fff5f5}
.step-name{font-weight:650}
.step-verdict{color:#343a40;font-size:13px}
.step ul{margin:6px 0 0;padding-left:18px;font-size:12.5px;color:var(--muted)}
.finding{border:1px solid var(--line);border-left:5px solid #adb5bd;border-radius:8px;padding:10px 14px;
margin:0 0 12px}
.finding.sev-critical{border-left-color:#c92a2a}.finding.sev-high{border-left-color:#f76707}
.finding.sev-medium{border-left-color:#fab005}.finding.sev-low{border-left-color:#4c6ef5}
.finding-head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;margin-bottom:6px}
.sev{text-transform:uppercase;font-size:11px;font-weight:700;letter-spacing:.05em;color:#fff;background:#868e96;
padding:1px 7px;border-radius:4px}
.sev-critical .sev{background:#c92a2a}.sev-high .sev{background:#f76707}.sev-medium .sev{background:#f59f00}
.sev-low .sev{background:#4c6ef5}
.cat{color:var(--muted);font-size:12.5px}.conf{color:var(--muted);font-size:12.5px;margin-left:auto}
.action{margin-top:6px}.verify{margin-top:4px;color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 0}
"""

SCRIPT = """
(function () {
  var body = document.body;
  var figs = JSON.parse(document.getElementById("figures").textContent);
  var config = {displaylogo: false, responsive: true,
                modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]};
  var done = 0, failed = 0;
  function finish() {
    if (done + failed === figs.length) {
      body.setAttribute("data-charts-rendered", String(done));
      body.setAttribute("data-charts-failed", String(failed));
    }
  }
  if (typeof Plotly === "undefined") { failed = figs.length; finish(); return; }
  figs.forEach(function (f) {
    var el = document.getElementById(f.id);
    Plotly.newPlot(el, f.data, f.layout, config).then(
      function () { done += 1; finish(); },
      function (err) { failed += 1; console.error("chart " + f.id + ": " + err); finish(); });
  });
  finish();
})();
"""
