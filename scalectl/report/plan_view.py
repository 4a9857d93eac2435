"""The plan's figures as text, formatted once for every view (terminal, Markdown, HTML).

Each function returns a title, column headers and rows of strings, or plain lines; the reporters lay
them out. So "3 replicas, 131.40 USD/month" reads the same on every screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scalectl.models import Recommendation


@dataclass
class TextTable:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def money(v: float | None, currency: str = "", digits: int = 2) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}" + (f" {currency}" if currency else "")


def _currency(rec: Recommendation) -> str:
    return rec.cost.currency if rec.cost is not None else ""


def runs_out_line(rec: Recommendation) -> str | None:
    """'at +10 %/month, 2 replica(s) run out in month 5 (2027-04)', or None without a forecast."""
    from scalectl.capacity.planner import runs_out_line as line

    return line(rec)


def cost_lines(rec: Recommendation) -> list[str]:
    c = rec.cost
    if c is None:
        return []
    lines = [
        f"{c.replicas} replicas × {money(c.per_replica_hourly, c.currency, 4)}/h per replica × "
        f"{c.hours_per_month:g} h = {money(c.monthly, c.currency)}/month",
    ]
    if c.basis == "requests":
        lines.append(
            f"per replica: {c.cpu_request_cores:g} vCPU request and "
            f"{c.memory_request_gib:.3f} GiB memory request"
        )
    if c.packing is not None:
        p = c.packing
        inst = ", ".join(
            f"{r['count']} × {r['type']} ({r['replicas_each']} replicas each)" for r in p.instances
        )
        lines.append(
            f"cheapest packing onto instances: {inst} = {money(p.monthly, c.currency)}/month ({p.method})"
        )
    return lines


def forecast_table(rec: Recommendation) -> TextTable | None:
    if not rec.forecast:
        return None
    cur = _currency(rec)
    cur_n = rec.growth.current_replicas if rec.growth else None
    t = TextTable(
        f"Forecast ({rec.growth.label if rec.growth else ''})",
        ["month", "date", "peak req/s", "replicas", f"monthly cost{' (' + cur + ')' if cur else ''}", "note"],
    )
    for f in rec.forecast:
        note = []
        if not f.reachable:
            note.append("not reachable by replicas")
        if rec.capacity_runs_out_month == f.month and cur_n is not None:
            note.append(f"{cur_n} replica{'s run' if cur_n != 1 else ' runs'} out")
        if rec.risk is not None and rec.risk.db_budget_breaks_month == f.month:
            note.append("DB connection budget breaks")
        t.rows.append(
            [str(f.month), f.date, f"{f.rps:.0f}", str(f.replicas), money(f.monthly_cost), "; ".join(note)]
        )
    return t


def options_table(rec: Recommendation) -> TextTable | None:
    if not rec.options:
        return None
    cur = _currency(rec)
    t = TextTable(
        "Horizontal vs vertical",
        [
            "option",
            "capacity req/s",
            "per replica req/s",
            "blast radius",
            f"monthly cost{' (' + cur + ')' if cur else ''}",
            "",
        ],
        note=rec.option_reason or "",
    )
    for o in rec.options:
        t.rows.append(
            [
                f"{o.replicas} × {o.cores_per_replica:g} core(s)",
                f"{o.total_capacity_rps:.0f}",
                f"{o.per_replica_rps:.0f}",
                f"{o.blast_radius_rps:.0f} req/s ({o.blast_radius_fraction:.0%})",
                money(o.monthly_cost),
                " ".join(x for x in ("chosen" if o.chosen else "", o.reach_note) if x),
            ]
        )
    return t


def risk_lines(rec: Recommendation) -> list[str]:
    return list(rec.risk.notes) if rec.risk is not None else []


def db_advice_lines(rec: Recommendation) -> list[str]:
    out = []
    for a in rec.db_advice:
        out.append(f"{a.kind.replace('_', ' ')}: {a.summary}")
        out.extend(f"  {r}" for r in a.reasoning)
    return out
