from __future__ import annotations

from scalectl.capacity.usl import fit_usl, usl_throughput
from scalectl.models import Recommendation, Resources
from scalectl.report.recommendation_term import curve_lines, render_recommendation


def _rec(**kw) -> Recommendation:
    model = fit_usl([(n, float(usl_throughput(n, 100.0, 0.05, 0.01))) for n in (1, 2, 3, 4)])
    base = dict(
        target_rps=250.0,
        slo=["p95<300ms"],
        replicas=5,
        needed_replicas=4,
        reachable=True,
        resources=Resources(
            cpu_request="250m", cpu_limit="500m", memory_request="128Mi", memory_limit="160Mi"
        ),
        model=model,
        reasoning=["fitted curve X(N) = ..."],
        advice=["more than one replica: shared storage"],
        raise_confidence=["a replica sweep"],
    )
    base.update(kw)
    return Recommendation(**base)


def test_curve_marks_measured_points_and_the_chosen_n() -> None:
    rec = _rec()
    lines = curve_lines(rec.model, chosen=4)
    assert lines[0].startswith("N= 1") and "measured 100" in lines[0]
    assert sum("◀ chosen" in line for line in lines) == 1 and "◀ chosen" in lines[3]
    # bars grow to the peak (N*≈9.7) and shrink past it
    widths = [line.count("█") for line in lines]
    peak = widths.index(max(widths))
    assert 7 <= peak <= 11 and widths[-1] <= max(widths)


def test_render_shows_table_reasoning_and_advice() -> None:
    text = render_recommendation(_rec())
    for needle in (
        "replicas",
        "5 (needed 4, N+1)",
        "250m / 500m",
        "Reasoning:",
        "Advice:",
        "USL over replicas",
    ):
        assert needle in text
    assert "Evidence that would raise confidence" in text


def test_unreachable_is_said_plainly() -> None:
    text = render_recommendation(_rec(reachable=False, limited_by="database"))
    assert "adding replicas alone will not reach it" in text and "database" in text


def test_no_model_no_curve() -> None:
    assert curve_lines(fit_usl([])) == []
    assert "USL over" not in render_recommendation(_rec(model=None))


def test_a_recommendation_without_needed_replicas_does_not_print_none() -> None:
    text = render_recommendation(_rec(needed_replicas=None))
    assert "5 (N+1)" in text and "None" not in text


def test_every_view_says_the_same_replicas_detail_and_never_none() -> None:
    from scalectl.capacity.manifests.common import evidence_comments
    from scalectl.report.recommendation_html import render_recommendation_html

    for rec, want in ((_rec(), "needed 4, N+1"), (_rec(needed_replicas=None), "N+1")):
        assert rec.replicas_detail == want
        for text in (
            render_recommendation(rec),
            render_recommendation_html(rec),
            "\n".join(evidence_comments(rec)),
        ):
            assert want in text and "needed None" not in text and "(None" not in text
