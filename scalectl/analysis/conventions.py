"""Common instrumentation libraries, recognised without configuration, and label-name mapping.

Each :class:`Convention` says under which names (and label names) one library exports the contract's
HTTP metrics (DESIGN.md, "Telemetry metric names"). :func:`naming` picks, per scraped source, the
conventions whose own metrics are present, then lays the scenario's ``telemetry.metric_names`` over
them (the user's mapping wins). A mapping value is ``app_name`` or ``app_name{route=handler,...}``
(contract label = the app's label); the name may be left out to rename labels only
(``"{route=endpoint}"``).

The names and labels below were read from the libraries' own /metrics output (versions in
docs/analysis.md), each checked by a test that runs a real app using the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from scalectl.analysis import metric_names as mn
from scalectl.metric_contract import MetricSpec, parse_spec

__all__ = ["CONVENTIONS", "Convention", "MetricSpec", "Naming", "detect", "naming", "parse_spec"]

Labels = dict[str, str]


@dataclass(frozen=True)
class Convention:
    name: str
    #: Present in a source's samples (a metric name, or ``name{label}``: that metric with that label)
    #: → the source uses this convention.
    detect: tuple[str, ...]
    metrics: Mapping[str, MetricSpec]


CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        "prometheus-fastapi-instrumentator",
        detect=("http_request_duration_highr_seconds", "http_requests_total{handler}"),
        metrics={
            # status is grouped ("2xx") by default; the status classes read it as is
            mn.HTTP_REQUESTS: MetricSpec("http_requests_total", {"route": "handler"}),
            # the labelled histogram has 3 buckets (0.1, 0.5, 1 s); the unlabelled "highr" one has 20
            mn.HTTP_DURATION: MetricSpec("http_request_duration_highr_seconds"),
            mn.HTTP_IN_FLIGHT: MetricSpec("http_requests_inprogress", {"route": "handler"}),
        },
    ),
    Convention(
        "starlette-exporter",
        detect=("starlette_requests_total", "starlette_request_duration_seconds"),
        metrics={
            mn.HTTP_REQUESTS: MetricSpec(
                "starlette_requests_total", {"route": "path", "status": "status_code"}
            ),
            mn.HTTP_DURATION: MetricSpec(
                "starlette_request_duration_seconds", {"route": "path", "status": "status_code"}
            ),
            mn.HTTP_IN_FLIGHT: MetricSpec("starlette_requests_in_progress"),
        },
    ),
    Convention(
        "prometheus-flask-exporter",
        detect=("flask_http_request_total", "flask_http_request_duration_seconds"),
        metrics={
            # the counter has no path label; the histogram has it (the raw path by default)
            mn.HTTP_REQUESTS: MetricSpec("flask_http_request_total"),
            mn.HTTP_DURATION: MetricSpec("flask_http_request_duration_seconds", {"route": "path"}),
        },
    ),
    Convention(
        "django-prometheus",
        detect=(
            "django_http_responses_total_by_status_view_method_total",
            "django_http_requests_latency_seconds_by_view_method",
        ),
        metrics={
            mn.HTTP_REQUESTS: MetricSpec(
                "django_http_responses_total_by_status_view_method_total", {"route": "view"}
            ),
            mn.HTTP_DURATION: MetricSpec(
                "django_http_requests_latency_seconds_by_view_method", {"route": "view"}
            ),
        },
    ),
)


def _base(name: str) -> str:
    for suffix in ("_bucket", "_count", "_sum", "_created"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def detect(families: Mapping[str, set[str]]) -> list[Convention]:
    """The conventions present in a source: ``families`` is {raw sample name: label names seen}."""
    names = {_base(n) for n in families} | set(families)
    out = []
    for conv in CONVENTIONS:
        for marker in conv.detect:
            metric, _, label = marker.partition("{")
            label = label.rstrip("}")
            if metric in names and (
                not label or any(label in lbs for n, lbs in families.items() if _base(n) == metric)
            ):
                out.append(conv)
                break
    return out


@dataclass(frozen=True)
class Naming:
    """How one source's samples read in contract terms: names resolved, labels renamed."""

    resolve: Callable[[str], str]
    label_maps: Mapping[str, Mapping[str, str]]
    conventions: tuple[str, ...] = ()

    def labels(self, contract_name: str, labels: Labels) -> Labels:
        """Contract labels of a sample of ``contract_name`` (``_bucket`` etc. included); the app's own
        label is kept too, and a contract label the sample already has is never overwritten."""
        lmap = self.label_maps.get(_base(contract_name)) or self.label_maps.get(contract_name)
        if not lmap:
            return labels
        out = dict(labels)
        for ours, theirs in lmap.items():
            if ours not in out and theirs in labels:
                out[ours] = labels[theirs]
        return out


def naming(raw_keys: Iterable[tuple[str, Labels]], user: Mapping[str, str]) -> Naming:
    """The naming of one source: detected conventions, overlaid with the user's ``metric_names``.

    ``raw_keys``: (sample name, labels) of every sample key of the source. Invalid user values
    (validated at the scenario boundary) are ignored here.
    """
    families: dict[str, set[str]] = {}
    for name, labels in raw_keys:
        families.setdefault(name, set()).update(labels)
    specs: dict[str, MetricSpec] = {}
    found = detect(families)
    for conv in found:
        for contract, spec in conv.metrics.items():
            specs.setdefault(contract, spec)
    for contract, value in user.items():
        try:
            specs[contract] = parse_spec(contract, value)
        except ValueError:
            continue
    resolve = mn.resolver({c: s.name for c, s in specs.items()})
    label_maps = {c: dict(s.labels) for c, s in specs.items() if s.labels}
    return Naming(resolve, label_maps, tuple(c.name for c in found))
