"""Plotly figure specs for the plan (forecast) and the baseline sweep (throughput vs load, the
hockey stick with its knee and the SLO line)."""

from __future__ import annotations

from scalectl.models import Baseline, Recommendation
from scalectl.report.html_charts import (
    PALETTE,
    Figure,
    _clean,
    _e,
    _hlabel,
    _hline,
    _layout,
    _line,
    usl_throughput,
)


def _capacity_of(rec: Recommendation, n: int) -> float | None:
    m = rec.model
    if m is None or m.lam <= 0 or n < 1:
        return None
    return usl_throughput(m.lam, m.sigma, m.kappa, n) * rec.utilization_target


def forecast_figure(rec: Recommendation) -> Figure | None:
    """Load per month against the usable capacity of today's and of the recommended replicas."""
    if not rec.forecast:
        return None
    x = [float(f.month) for f in rec.forecast]
    traces = [
        _line("forecast peak load", x, [f.rps for f in rec.forecast], PALETTE[1], mode="lines+markers"),
        _line(
            "usable capacity of the replicas each month needs",
            x,
            [_capacity_of(rec, f.replicas - rec.redundancy) for f in rec.forecast],
            PALETTE[2],
            line={"width": 2, "shape": "hv", "color": PALETTE[2]},
        ),
    ]
    cur = rec.growth.current_replicas if rec.growth else None
    if cur is not None and (cap := _capacity_of(rec, cur - rec.redundancy)) is not None:
        traces.append(
            _line(
                f"usable capacity of today's {cur} replicas",
                x,
                [cap] * len(x),
                PALETTE[0],
                line={"width": 2, "dash": "dash", "color": PALETTE[0]},
            )
        )
    if (cap := _capacity_of(rec, rec.replicas - rec.redundancy)) is not None:
        traces.append(
            _line(
                f"usable capacity of the recommended {rec.replicas} replicas",
                x,
                [cap] * len(x),
                PALETTE[4],
                line={"width": 2, "dash": "dot", "color": PALETTE[4]},
            )
        )
    title = f"Forecast: load against capacity ({rec.growth.label if rec.growth else ''})"
    layout = _layout(title, "month", "requests/s")
    layout["xaxis"]["tickvals"] = x
    layout["xaxis"]["ticktext"] = [f"{f.month}<br>{f.date}" for f in rec.forecast]
    return {"data": traces, "layout": layout}


def baseline_throughput_figure(b: Baseline) -> Figure | None:
    if not b.steps:
        return None
    open_model = any(s.offered_rps for s in b.steps) and not any(s.users for s in b.steps)
    x = [(s.offered_rps if open_model else s.users) or s.index for s in b.steps]
    label = "offered rate (req/s)" if open_model else "users"
    traces = [
        _line(
            "throughput",
            x,
            [s.rps for s in b.steps],
            PALETTE[0],
            mode="lines+markers",
            text=[f"step {s.index}" for s in b.steps],
        ),
    ]
    if b.knee is not None:
        kx = b.knee.offered_rps if open_model else b.knee.users
        traces.append(_knee_marker(kx or b.knee.step, b.knee.rps, f"knee: {b.knee.rps:.0f} req/s"))
    return {"data": traces, "layout": _layout(f"Throughput against {label}", label, "requests/s")}


def _knee_marker(x: float, y: float, name: str) -> dict:
    return {
        "type": "scatter",
        "mode": "markers+text",
        "name": _e(name),
        "x": [x],
        "y": [round(y, 4)],
        "text": ["knee"],
        "textposition": "top center",
        "marker": {"size": 14, "symbol": "star", "color": "#12b886"},
    }


def baseline_hockey_figure(b: Baseline, slo_ms: float | None) -> Figure | None:
    """p95 (and p50) against throughput: the hockey stick, the knee marked, the SLO line."""
    if not b.steps:
        return None
    xs = [s.rps for s in b.steps]
    traces = [
        _line(
            "p95",
            xs,
            [s.p95_ms for s in b.steps],
            PALETTE[0],
            mode="lines+markers",
            text=[f"step {s.index}" for s in b.steps],
        ),
        _line("p50", xs, [s.p50_ms for s in b.steps], PALETTE[2], mode="lines+markers"),
    ]
    if b.knee is not None:
        traces.append(_knee_marker(b.knee.rps, b.knee.p95_ms, f"knee: p95 {b.knee.p95_ms:.0f} ms"))
    layout = _layout("Latency against throughput (the hockey stick)", "requests/s", "ms", hovermode="closest")
    if slo_ms is not None:
        layout["shapes"] = [_hline(slo_ms)]
        layout["annotations"] = [_hlabel(slo_ms, f"SLO {slo_ms:g} ms")]
    return {"data": traces, "layout": layout}


__all__ = ["baseline_hockey_figure", "baseline_throughput_figure", "forecast_figure", "_clean"]
