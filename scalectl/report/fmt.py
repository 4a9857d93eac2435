"""Number formatting shared by the text reporters (Markdown, terminal, HTML tables)."""

from __future__ import annotations

from scalectl.durations import format_duration
from scalectl.errors import InputError
from scalectl.models import EndpointStats, Environment, RunResult, SloResult
from scalectl.models.recommendation import Recommendation, UslModel
from scalectl.slo import parse_threshold


def ms(v: float | None) -> str:
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def num(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def pct(fraction: float | None, digits: int = 2) -> str:
    return "–" if fraction is None else f"{fraction * 100:.{digits}f}%"


def delta(d: float | None) -> str:
    return "–" if d is None else f"{d * 100:+.1f}%"


def mib(n: int | float) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GiB"
    return f"{n / 1024**2:.0f} MiB"


def duration(seconds: float) -> str:
    return format_duration(seconds)


def environment(env: Environment) -> str:
    """One line: where a run was measured."""
    parts = []
    if env.cpu_count:
        parts.append(f"{env.cpu_count} cores" + (f" ({env.cpu_model})" if env.cpu_model else ""))
    if env.memory_bytes:
        parts.append(mib(env.memory_bytes))
    if env.replicas is not None:
        r = f"{env.replicas} replica{'s' if env.replicas != 1 else ''}"
        if env.cpus_per_replica:
            r += f" × {env.cpus_per_replica:g} CPU"
        parts.append(r)
    if env.workers:
        parts.append(f"{env.workers} workers")
    for label, v in (
        ("python", env.python),
        ("scalectl", env.scalectl_version),
        ("locust", env.locust_version),
    ):
        if v:
            parts.append(f"{label} {v}")
    if env.platform:
        parts.append(env.platform)
    if env.hostname:
        parts.append(f"host {env.hostname}")
    return ", ".join(parts) or "unknown"


def completeness(run: RunResult) -> str:
    state = "complete"
    if not run.complete:
        state = "INCOMPLETE" + (f" ({run.stop_reason})" if run.stop_reason else "")
    if run.warmup_s:
        state += "; " + warmup(run)
    return state


def warmup(run: RunResult) -> str:
    """What the warm-up left out, and why it can be more than asked: counting starts at the next
    whole second of the per-second series (``1 s asked`` can leave out 1.9 s)."""
    load = run.scenario.get("load") if isinstance(run.scenario, dict) else None
    asked = load.get("warmup") if isinstance(load, dict) else None
    text = f"the first {run.warmup_s:.1f} s not counted (warm-up"
    if isinstance(asked, int | float) and asked and abs(float(asked) - run.warmup_s) >= 0.05:
        text += f" {float(asked):g} s asked, counted from the next whole second"
    return text + ")"


def samples(run: RunResult) -> str:
    t = run.total
    rate = t.failure_rate
    return f"{t.requests:,} requests, {t.failures:,} failed ({pct(rate)})"


def slo_observed(r: SloResult) -> str:
    return _slo_value(r.expression, r.observed)


def slo_limit(r: SloResult) -> str:
    return _slo_value(r.expression, r.limit)


def _slo_value(expr: str, v: float | None) -> str:
    """``v`` in the unit of the SLO's metric, read by the SLO grammar (not by words in the text: a
    route named ``/generate`` is not an error rate)."""
    if v is None:
        return "–"
    try:
        metric = parse_threshold(expr).metric
    except InputError:
        return f"{v:g}"
    if metric == "error_rate":
        return pct(v)
    if metric == "rps":
        return f"{v:,.1f} req/s"
    if metric == "requests":
        return f"{v:,.0f}"
    return ms(v)


def slo_status(ok: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[ok]


def verdict_text(ok: bool | None, n: int) -> str:
    if n == 0:
        return "no SLO given"
    return {True: "SLOs met", False: "SLO violated", None: "SLOs not judged"}[ok]


def compare_value(v: float | None, unit: str) -> str:
    """A value of a comparison row (``data.CompareRow``) in its unit."""
    if v is None:
        return "–"
    if unit == "ms":
        return ms(v)
    if unit == "%":
        return f"{v:.2f}%"
    return num(v)


def lat_ms(stats: EndpointStats, stat: str) -> str:
    """A latency statistic of ``stats`` (``p50``, ``max``...); "–" when nothing was measured."""
    return ms(getattr(stats.latency_ms, stat)) if stats.requests else "–"


def latency_line(stats: EndpointStats, sep: str = "  ") -> str:
    """``p50 … p95 … p99 … max …`` of ``stats``."""
    return sep.join(f"{s} {lat_ms(stats, s)}" for s in ("p50", "p95", "p99", "max"))


def usl_fit(m: UslModel, sep: str = " ") -> str:
    """The fitted USL in one line: ``λ=… σ=… κ=… R²=… on N points (axis)``; ``sep`` between terms."""
    terms = [f"λ={m.lam:.4g}", f"σ={m.sigma:.4g}", f"κ={m.kappa:.4g}"]
    if m.r2 is not None:
        terms.append(f"R²={m.r2:.3f}")
    return sep.join(terms) + f" on {m.n_points} points ({m.axis})"


def capacity_rows(r: Recommendation) -> list[tuple[str, str]]:
    """The recommendation's capacity figures, worded once for every view: the per-replica capacity at
    the SLO (the model's λ), and the predicted capacity of the replicas before and after the
    utilization target (the figure shown first is never the one the target was applied to)."""
    rows = []
    if r.per_replica_capacity_rps:
        rows.append(("Per-replica capacity", f"{num(r.per_replica_capacity_rps)} req/s at the SLO"))
    if r.predicted_capacity_rps:
        usable = r.predicted_capacity_rps * r.utilization_target
        n = r.needed_replicas or r.replicas
        rows.append(
            (
                "Predicted capacity",
                f"{num(r.predicted_capacity_rps)} req/s on {n} replica{'s' if n != 1 else ''}; "
                f"{num(usable)} usable at the {pct(r.utilization_target, 0)} utilization target",
            )
        )
    else:
        rows.append(("Utilization target", pct(r.utilization_target, 0)))
    return rows


def endpoint_rps(run: RunResult, ep: EndpointStats) -> float:
    """An endpoint's (or the total's) share of the run's one throughput figure, so that the tables'
    req/s column and the summary's throughput are the same quantity (the Total row equals it)."""
    from scalectl.analysis.throughput import active_rps

    if not run.total.requests:
        return 0.0
    return active_rps(run) * ep.requests / run.total.requests


def throughput(run: RunResult) -> str:
    """The run's throughput, the one figure every view shows (and the analysis calls "achieved"):
    requests over the seconds that carried load (start-up, drain and warm-up left out)."""
    from scalectl.analysis.throughput import active_rps

    return f"{num(active_rps(run))} req/s"
