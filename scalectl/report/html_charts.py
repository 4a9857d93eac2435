"""Plotly figure specs (plain ``{"data": [...], "layout": {...}}`` dicts) for the HTML report.

Figures are built as plain data, not ``plotly.graph_objects``, so they are cheap, deterministic and
serialise directly; plotly.js (inlined once by ``html.py``) draws them. Every text that reaches a
figure is HTML-escaped, since plotly.js interprets a few tags in titles and names.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from scalectl.models import Recommendation, RunResult
from scalectl.report import data

Figure = dict[str, Any]

PALETTE = ["#4c6ef5", "#f76707", "#12b886", "#e64980", "#7950f2", "#fab005", "#15aabf", "#868e96"]
P_COLORS = {"p50": "#12b886", "p95": "#4c6ef5", "p99": "#e64980"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=False)


def _clean(values: Sequence[float | None]) -> list[float | None]:
    """JSON-safe numbers: NaN/inf become gaps; floats rounded to keep the page small."""
    out: list[float | None] = []
    for v in values:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            out.append(None)
        else:
            out.append(round(float(v), 4))
    return out


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": _e(title), "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "xaxis": {
            "title": {"text": _e(x_title)},
            "gridcolor": "#eceef4",
            "zeroline": False,
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": _e(y_title)},
            "gridcolor": "#eceef4",
            "zeroline": False,
            "rangemode": "tozero",
        },
        "margin": {"l": 60, "r": 20, "t": 48, "b": 40},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        "hovermode": "x unified",
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            "size": 12,
            "color": "#343a40",
        },
        "height": 340,
    }
    if x_title == "seconds":  # time axes: "10s" ticks instead of an axis title
        layout["xaxis"]["title"] = {"text": ""}
        layout["xaxis"]["ticksuffix"] = "s"
    elif x_title:
        layout["legend"]["y"] = -0.24
    layout.update(extra)
    return layout


def _line(
    name: str, x: Sequence[float], y: Sequence[float | None], color: str | None = None, **kw: Any
) -> dict:
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "lines",
        "name": _e(name),
        "x": _clean(x),
        "y": _clean(y),
        "line": {"width": 2},
    }
    if color:
        trace["line"]["color"] = color
    trace.update(kw)
    return trace


def load_figure(run: RunResult) -> Figure | None:
    if not run.series:
        return None
    t = data.times(run)
    traces = [
        _line(
            "achieved req/s",
            t,
            [iv.rps for iv in run.series],
            PALETTE[0],
            fill="tozeroy",
            fillcolor="rgba(76,110,245,0.08)",
        ),
    ]
    if any(iv.offered_rps is not None for iv in run.series):
        traces.append(
            _line(
                "offered req/s",
                t,
                [iv.offered_rps for iv in run.series],
                "#868e96",
                line={"dash": "dot", "width": 2, "color": "#868e96"},
            )
        )
    traces.append(
        _line("failures/s", t, [iv.failures / (iv.duration_s or 1) for iv in run.series], "#e03131")
    )
    traces.append(
        _line(
            "users",
            t,
            [iv.users for iv in run.series],
            PALETTE[1],
            yaxis="y2",
            line={"shape": "hv", "width": 2, "color": PALETTE[1]},
        )
    )
    layout = _layout(
        "Users and throughput",
        "seconds",
        "requests/s",
        yaxis2={
            "title": {"text": "users"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
            "nticks": 6,
            "tickformat": ",d",
        },
    )
    layout["margin"]["r"] = 60
    return {"data": traces, "layout": layout}


def latency_figure(run: RunResult, slo_ms: float | None = None) -> Figure | None:
    if not run.series:
        return None
    t = data.times(run)
    lat = data.latency_over_time(run)
    traces = [_line(k, t, v, P_COLORS[k]) for k, v in lat.items()]
    layout = _layout("Latency percentiles over time (all endpoints)", "seconds", "ms")
    if slo_ms is not None:
        layout["shapes"] = [_hline(slo_ms)]
        layout["annotations"] = [_hlabel(slo_ms, f"SLO {slo_ms:g} ms")]
    return {"data": traces, "layout": layout}


def _hline(y: float, color: str = "#e03131") -> dict:
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": color, "width": 1.5, "dash": "dash"},
    }


def _hlabel(y: float, text: str, color: str = "#e03131") -> dict:
    return {
        "xref": "paper",
        "x": 1,
        "y": y,
        "text": _e(text),
        "showarrow": False,
        "xanchor": "right",
        "yanchor": "bottom",
        "font": {"color": color, "size": 11},
    }


def endpoint_latency_figure(run: RunResult, q: float = 95.0) -> Figure | None:
    series = data.endpoint_latency_over_time(run, q)
    if not series or not run.series:
        return None
    t = data.times(run)
    traces = [_line(k, t, v, PALETTE[i % len(PALETTE)]) for i, (k, v) in enumerate(series.items())]
    return {"data": traces, "layout": _layout(f"p{q:g} latency per endpoint", "seconds", "ms")}


def errors_figure(run: RunResult) -> Figure | None:
    kinds = data.errors_by_kind_over_time(run)
    if not kinds or not any(any(v) for v in kinds.values()):
        return None
    t = data.times(run)
    colors = ["#e03131", "#f76707", "#fab005", "#ae3ec9", "#868e96", "#1098ad"]
    traces = [
        {
            "type": "bar",
            "name": _e(k),
            "x": _clean(t),
            "y": _clean(v),
            "marker": {"color": colors[i % len(colors)]},
        }
        for i, (k, v) in enumerate(sorted(kinds.items()))
    ]
    return {
        "data": traces,
        "layout": _layout("Errors by kind", "seconds", "errors/s", barmode="stack", bargap=0.1),
    }


_TICKS = [
    (50.0, "50%"),
    (90.0, "90%"),
    (99.0, "99%"),
    (99.9, "99.9%"),
    (99.99, "99.99%"),
    (99.999, "99.999%"),
]


def hdr_figure(runs: Sequence[tuple[str, RunResult]], per_endpoint: bool = True) -> Figure | None:
    """Latency by percentile, x = 1/(1−q) on a log axis (the HdrHistogram plot)."""
    traces = []
    max_inv = 2.0
    for i, (label, run) in enumerate(runs):
        scopes = [("all endpoints" if len(runs) == 1 else label, run.total)]
        if per_endpoint and len(runs) == 1 and len(run.endpoints) > 1:
            scopes += [(ep.key, ep) for ep in run.endpoints]
        for j, (name, stats) in enumerate(scopes):
            pts = [(q, v) for q, v in data.hdr_distribution(stats) if q < 100.0]
            if not pts:
                continue
            xs = [1.0 / (1.0 - q / 100.0) for q, _ in pts]
            max_inv = max(max_inv, xs[-1])
            color = PALETTE[(i + j) % len(PALETTE)]
            traces.append(
                _line(
                    name,
                    xs,
                    [v for _, v in pts],
                    color,
                    line={"width": 3 if j == 0 else 1.5, "color": color, "shape": "hv"},
                    customdata=[round(q, 4) for q, _ in pts],
                    hovertemplate="p%{customdata}: %{y:.2f} ms<extra>%{fullData.name}</extra>",
                )
            )
    if not traces:
        return None
    ticks = [
        (1.0 / (1.0 - q / 100.0), label) for q, label in _TICKS if 1.0 / (1.0 - q / 100.0) <= max_inv * 1.01
    ]
    layout = _layout("Latency by percentile (HDR histogram)", "percentile", "ms", hovermode="closest")
    layout["xaxis"].update(
        {"type": "log", "tickvals": [round(x, 3) for x, _ in ticks], "ticktext": [t for _, t in ticks]}
    )
    return {"data": traces, "layout": layout}


def telemetry_figures(run: RunResult) -> list[Figure]:
    tel = data.telemetry(run)
    specs: list[tuple[list[data.Line], str, str, dict[str, Any]]] = [
        (tel.cpu_percent, "Target CPU per replica", "% of one core", {}),
        (tel.rss_mib, "Target memory (RSS) per replica", "MiB", {}),
        (tel.pool_checked_out, "DB pool: connections checked out", "connections", {}),
        (tel.pool_wait_ms, "DB pool: mean wait for a connection", "ms", {}),
        (
            tel.cache_hit_ratio,
            "Cache hit ratio",
            "hits / lookups",
            {"yaxis": {"range": [0, 1.05], "tickformat": ".0%", "gridcolor": "#eceef4"}},
        ),
        (
            tel.breaker_state,
            "Circuit breaker state",
            "",
            {
                "yaxis": {
                    "tickvals": [0, 1, 2],
                    "ticktext": ["closed", "open", "half-open"],
                    "range": [-0.2, 2.2],
                    "gridcolor": "#eceef4",
                }
            },
        ),
    ]
    figs = []
    for lines, title, unit, extra in specs:
        if not lines:
            continue
        shape = {"shape": "hv"} if "breaker" in title else {}
        traces = [
            _line(
                ln.name,
                ln.t,
                ln.y,
                PALETTE[i % len(PALETTE)],
                line={"width": 2, "color": PALETTE[i % len(PALETTE)], **shape},
            )
            for i, ln in enumerate(lines)
        ]
        layout = _layout(title, "seconds", unit)
        for k, v in extra.items():
            layout[k] = {**layout.get(k, {}), **v}
        figs.append({"data": traces, "layout": layout})
    return figs


def usl_throughput(lam: float, sigma: float, kappa: float, n: float) -> float:
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


def usl_figure(rec: Recommendation) -> Figure | None:
    m = rec.model
    if m is None:
        return None
    xs_pts = [p[0] for p in m.points]
    n_max = max([rec.replicas, *xs_pts, (m.peak_n or 0)]) * 1.25 + 1
    steps = 120
    ns = [1 + (n_max - 1) * i / steps for i in range(steps + 1)]
    curve = [usl_throughput(m.lam, m.sigma, m.kappa, n) for n in ns]
    axis = "replicas" if m.axis == "replicas" else m.axis
    traces = [
        _line("USL fit", ns, curve, PALETTE[0]),
        {
            "type": "scatter",
            "mode": "markers",
            "name": "measured",
            "x": _clean(xs_pts),
            "y": _clean([p[1] for p in m.points]),
            "marker": {"size": 9, "color": PALETTE[1]},
        },
    ]
    if m.axis == "replicas":
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": f"chosen: {rec.replicas} replicas",
                "x": [rec.replicas],
                "y": [round(usl_throughput(m.lam, m.sigma, m.kappa, rec.replicas), 4)],
                "text": [f"{rec.replicas}"],
                "textposition": "top center",
                "marker": {"size": 14, "symbol": "star", "color": "#12b886"},
            }
        )
    layout = _layout(
        "Scalability: Universal Scalability Law fit", _e(axis), "requests/s", hovermode="closest"
    )
    layout["shapes"] = [_hline(rec.target_rps, "#e64980")]
    layout["annotations"] = [_hlabel(rec.target_rps, f"target {rec.target_rps:g} req/s", "#e64980")]
    return {"data": traces, "layout": layout}


def compare_figures(runs: Sequence[tuple[str, RunResult]]) -> list[Figure]:
    lat_traces, rps_traces = [], []
    for i, (label, run) in enumerate(runs):
        if not run.series:
            continue
        color = PALETTE[i % len(PALETTE)]
        t = data.times(run)
        lat = data.latency_over_time(run)
        lat_traces.append(_line(f"{label} p95", t, lat["p95"], color))
        lat_traces.append(
            _line(f"{label} p50", t, lat["p50"], color, line={"width": 1.5, "dash": "dot", "color": color})
        )
        rps_traces.append(_line(label, t, [iv.rps for iv in run.series], color))
    figs = []
    if lat_traces:
        figs.append(
            {
                "data": lat_traces,
                "layout": _layout("Latency over time (p95 solid, p50 dotted)", "seconds", "ms"),
            }
        )
        figs.append({"data": rps_traces, "layout": _layout("Throughput over time", "seconds", "requests/s")})
    hdr = hdr_figure(runs, per_endpoint=False)
    if hdr is not None:
        figs.append(hdr)
    return figs
