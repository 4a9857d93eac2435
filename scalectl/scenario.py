"""Scenario files: the versioned schema (pydantic, ``extra="forbid"``) and the only YAML loader.

The loader is PyYAML's ``SafeLoader`` (PyYAML is already a dependency; ruamel.yaml is not installed):
the file is composed into a node tree once, plain data is built from it, and the line of every
mapping key and sequence item is recorded by path, so that each validation error can name
``file:line``, the field path and what was expected. See ``docs/scenarios.md`` for the field reference.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from scalectl.durations import parse_duration
from scalectl.errors import InputError, ScenarioError
from scalectl.metric_contract import CONTRACT, parse_spec

SCENARIO_VERSION = 1


def _duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a duration such as 30s, 2m, 500ms or a number of seconds")
    if (isinstance(value, str) and value.strip().startswith("-")) or (
        not isinstance(value, str) and value < 0
    ):
        raise ValueError("a duration must not be negative; expected e.g. 30s, 2m, 500ms")
    try:
        return parse_duration(value)
    except InputError as exc:
        raise ValueError(exc.message) from None


Duration = Annotated[float, BeforeValidator(_duration)]


def _expression(text: str) -> str:
    from scalectl.slo import EXPECTED, parse_threshold

    try:
        parse_threshold(text)
    except InputError as exc:
        raise ValueError(f"{exc.message}; {EXPECTED}") from None
    return text


Expression = Annotated[str, AfterValidator(_expression)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamSpec(_M):
    """How one path/body parameter is drawn: exactly one of ``range``, ``choice``, ``user``, ``value``."""

    range: tuple[int, int] | None = Field(None, description="inclusive integer range [low, high]")
    choice: list[str | int | float] | None = Field(None, min_length=1, description="pick one at random")
    user: bool | None = Field(None, description="the virtual user's own id")
    value: str | int | float | None = Field(None, description="a constant")

    @field_validator("range")
    @classmethod
    def _ordered(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and v[0] > v[1]:
            raise ValueError("range must be [low, high] with low <= high")
        return v

    @model_validator(mode="after")
    def _check(self) -> Any:
        given = [k for k in ("range", "choice", "user", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of range, choice, user, value")
        return self


class RequestSpec(_M):
    name: str | None = Field(None, description="endpoint name in results; default: the path template")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    path: str = Field(..., pattern=r"^/", description="path template, '{param}' filled from params")
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    body: Any = Field(None, description="JSON body template; strings '{param}' are filled")
    headers: dict[str, str] = Field(default_factory=dict)
    weight: float = Field(1.0, gt=0)
    expect: list[int] = Field(default_factory=list, description="expected status codes; default any 2xx/3xx")

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @property
    def endpoint_name(self) -> str:
        return self.name or self.path.split("?", 1)[0]


class ThinkTime(_M):
    min: Duration = 0.0
    max: Duration = 0.0

    @model_validator(mode="after")
    def _check(self) -> Any:
        if self.max < self.min:
            raise ValueError("think_time max must be >= min")
        return self


def _think(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        d = _duration(value)
        return {"min": d, "max": d}
    return value


class Identity(_M):
    """Per-virtual-user identity: each user sends ``HEADER: SCHEME PREFIX-<n>`` (distinct per user)."""

    header: str = "Authorization"
    scheme: str = "Bearer"
    prefix: str = "vu"
    #: Number of distinct identities shared round-robin by users (0 = one per virtual user).
    pool: int = Field(0, ge=0)
    enabled: bool = True


class ClosedStage(_M):
    users: int = Field(..., ge=0)
    spawn_rate: float = Field(10.0, gt=0)
    duration: Duration


class OpenStage(_M):
    rps: float = Field(..., ge=0)
    #: Ramp linearly from this rate to ``rps`` over the stage (default: constant ``rps``).
    start_rps: float | None = Field(None, ge=0)
    duration: Duration


def _check_warmup(warmup: float, info: ValidationInfo) -> float:
    stages = info.data.get("stages")
    if stages is None:  # the stages were invalid: that error is reported
        return warmup
    total = sum(st.duration for st in stages)
    if warmup < 0 or warmup >= total:
        raise ValueError(f"warmup ({warmup:g}s) must be at least 0 and shorter than the load ({total:g}s)")
    return warmup


class ClosedLoad(_M):
    model: Literal["closed"] = "closed"
    stages: list[ClosedStage] = Field(..., min_length=1)
    #: Seconds at the start whose requests are not counted in the run's summary, SLO verdict, knee or
    #: gate (start-up transients: the generator starting, cold caches). The load still runs; the
    #: seconds stay in the timeline, marked.
    warmup: Duration = 0.0

    _warmup = field_validator("warmup")(_check_warmup)


class OpenLoad(_M):
    model: Literal["open"]
    #: Concurrency pool (virtual users) that serves the arrival schedule, over all workers.
    max_users: int = Field(100, ge=1)
    stages: list[OpenStage] = Field(..., min_length=1)
    #: Seconds at the start whose requests are not counted in the run's summary, SLO verdict, knee or
    #: gate (start-up transients: the generator starting, cold caches). The load still runs; the
    #: seconds stay in the timeline, marked.
    warmup: Duration = 0.0

    _warmup = field_validator("warmup")(_check_warmup)


class PrometheusServerSpec(_M):
    """An existing Prometheus server that scrapes the service (``--prometheus-url``/``-selector``)."""

    url: str = Field(..., pattern=r"^https?://[^/\s]+")
    #: Label matchers of the service's series: ``job="api"`` (or a full ``{...}`` selector).
    selector: str = Field(..., min_length=1)


class Telemetry(_M):
    metrics_urls: list[str] = Field(default_factory=list)
    interval: Duration = 1.0
    #: contract name → this app's metric name, optionally with labels: ``name{route=handler}``.
    metric_names: dict[str, str] = Field(default_factory=dict)
    prometheus: PrometheusServerSpec | None = None
    enabled: bool = True

    @field_validator("metric_names")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:

        for contract, value in v.items():
            if contract not in CONTRACT:
                raise ValueError(
                    f"{contract!r} is not a contract metric name (DESIGN.md); expected one of "
                    + ", ".join(sorted(CONTRACT))
                )
            parse_spec(contract, value)
        return v


class Steps(_M):
    """Stepped load for ``scalectl baseline``: one run per level, until the SLO or errors break."""

    users: list[int] | None = Field(None, min_length=1, description="closed model: users per step")
    rps: list[float] | None = Field(None, min_length=1, description="open model: arrival rate per step")
    duration: Duration = 10.0
    spawn_rate: float = Field(50.0, gt=0)
    #: Error rate (fraction) at which stepping stops.
    max_error_rate: float = Field(0.05, ge=0, le=1)
    #: Stop after this many consecutive steps past the knee (SLO broken or throughput falling).
    stop_after: int = Field(1, ge=1)
    #: Seconds at the start of each step not counted (see ``load.warmup``): the knee is judged on the
    #: steady state of each step.
    warmup: Duration = 0.0
    #: After the SLO broke, bisect between the last step that met it and the first that broke it this
    #: many times (one run each), so the knee is not only as fine as the steps (``--refine``).
    refine: int = Field(0, ge=0, le=8)

    @field_validator("warmup")
    @classmethod
    def _warmup(cls, warmup: float, info: ValidationInfo) -> float:
        step = info.data.get("duration")
        if step is not None and not 0 <= warmup < step:
            raise ValueError(f"warmup ({warmup:g}s) must be at least 0 and shorter than a step ({step:g}s)")
        return warmup

    @model_validator(mode="after")
    def _check(self) -> Any:
        if (self.users is None) == (self.rps is None):
            raise ValueError("give exactly one of users (closed model) or rps (open model)")
        return self


#: The placeholders a target command may use (scalectl fills them in).
TARGET_PLACEHOLDERS = ("port", "replicas", "cpus")
#: ``{name}`` placeholders in a target command; ``${VAR}`` (shell) and ``{{`` are left alone.
PLACEHOLDER = re.compile(r"(?<![{$])\{([A-Za-z_]\w*)\}(?!\})")


class TargetBlock(_M):
    """``target:``: how scalectl starts the user's own service for a run (``--target-cmd`` on the CLI)."""

    #: Shell command; ``{port}`` (a free loopback port scalectl picks), ``{replicas}``, ``{cpus}``.
    command: str = Field(..., min_length=1)
    #: Path that answers below 500 once the service is ready.
    ready_path: str = "/"
    ready_timeout: Duration = 30.0
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    #: Knobs an experiment may change: name -> the environment variable (or placeholder) it sets.
    knobs: dict[str, str] = Field(default_factory=dict)

    @field_validator("command")
    @classmethod
    def _known_placeholders(cls, v: str) -> str:
        names = set(PLACEHOLDER.findall(v))
        unknown = sorted(names - set(TARGET_PLACEHOLDERS))
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
                "the command may use {port}, {replicas} and {cpus}"
            )
        if "{port}" not in v:
            raise ValueError("the command must listen on {port} (a free port scalectl picks)")
        return v

    @field_validator("ready_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("ready_path must start with '/'")
        return v

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: v2 if isinstance(v2, str) else str(v2).lower() if isinstance(v2, bool) else str(v2)
                for k, v2 in v.items()
            }
        return v


def _default_model(value: Any) -> Any:
    if isinstance(value, dict) and "model" not in value:
        return {**value, "model": "closed"}
    return value


class Scenario(_M):
    version: Literal[1] = SCENARIO_VERSION
    name: str = Field(..., min_length=1)
    description: str = ""
    host: str | None = None
    slo: list[Expression] = Field(default_factory=list)
    thresholds: list[Expression] = Field(default_factory=list)
    think_time: Annotated[ThinkTime, BeforeValidator(_think)] = Field(default_factory=ThinkTime)
    identity: Identity = Field(default_factory=Identity)
    timeout: Duration = 10.0
    requests: list[RequestSpec] = Field(..., min_length=1)
    load: Annotated[ClosedLoad | OpenLoad, Field(discriminator="model"), BeforeValidator(_default_model)] = (
        Field(default_factory=lambda: ClosedLoad(stages=[ClosedStage(users=1, duration=10)]))
    )
    telemetry: Telemetry = Field(default_factory=Telemetry)
    steps: Steps | None = None
    #: The user's service, started by scalectl for the run (instead of ``host`` or the bundled target).
    target: TargetBlock | None = None

    @field_validator("target")
    @classmethod
    def _one_target(cls, v: TargetBlock | None, info: ValidationInfo) -> TargetBlock | None:
        if v is not None and info.data.get("host") is not None:
            raise ValueError("give host (a running service) or target (a command to start it), not both")
        return v

    @field_validator("requests")
    @classmethod
    def _placeholders(cls, v: list[RequestSpec]) -> list[RequestSpec]:
        import string

        for r in v:
            names = {f for _, f, _, _ in string.Formatter().parse(r.path) if f}
            missing = sorted(n for n in names if n not in r.params)
            if missing:
                raise ValueError(f"path {r.path!r} uses {missing} with no entry under params")
        return v

    @property
    def total_duration(self) -> float:
        return sum(s.duration for s in self.load.stages)


# ---------------------------------------------------------------- YAML with line numbers


def _compose(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ScenarioError(f"malformed YAML: {what}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"malformed YAML: {exc}", file=file) from None
    lines: dict[tuple, int] = {}
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node, path: tuple) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict = {}
            for k, v in n.value:
                key = constructor.construct_object(k, deep=True)
                if isinstance(key, list | dict):
                    raise ScenarioError("a key must be a plain value", file=file, line=k.start_mark.line + 1)
                lines[path + (key,)] = k.start_mark.line + 1
                out[key] = build(v, path + (key,))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    if node is None:
        return None, lines
    try:
        return build(node, ()), lines
    except yaml.YAMLError as exc:
        raise ScenarioError(f"malformed YAML: {exc}", file=file) from None


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys allowed in the mapping that holds ``loc[-1]`` (walks the model types)."""
    tp: Any = Scenario
    for elem in loc[:-1]:
        tp = _step_type(tp, elem)
        if tp is None:
            return []
    tp = _unwrap_models(tp, loc[-1])
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _unwrap_models(tp: Any, hint: Any = None) -> Any:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap_models(typing.get_args(tp)[0], hint)
    if origin in (typing.Union, __import__("types").UnionType):
        models = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
        for m in models:
            if "model" in m.model_fields and hint in typing.get_args(m.model_fields["model"].annotation):
                return m
        return models[0] if len(models) == 1 else (models[0] if models else tp)
    return tp


def _step_type(tp: Any, elem: Any) -> Any:
    tp = _unwrap_models(tp, elem)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        f = tp.model_fields.get(elem) if isinstance(elem, str) else None
        if f is None:
            return tp if elem in ("closed", "open") else None
        return f.annotation
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def _describe(err: dict, data: Any, lines: dict[tuple, int]) -> tuple[int | None, str, str]:
    loc = tuple(err["loc"])
    # drop union tags ("closed"/"open") and pydantic's internal elements that are not in the data
    path: list = []
    for i, elem in enumerate(loc):
        if tuple(path) + (elem,) in lines or i == len(loc) - 1:
            path.append(elem)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found") and path and path[-1] != "model":
        path.append("model")
    tpath = tuple(path)
    line = None
    for n in range(len(tpath), -1, -1):
        if tpath[:n] in lines:
            line = lines[tpath[:n]]
            break
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in tpath).replace(".[", "[")
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(tuple(p for p in loc if p not in ("closed", "open") or p == loc[-1]))
        msg = f"unknown key {tpath[-1]!r}" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        msg = f"expected 'closed' or 'open' (got {err.get('input', {}).get('model')!r})"
    elif kind == "missing":
        msg = "required field is missing"
    else:
        text = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        msg = f"{text}{shown}"
    return line, field, msg


def scenario_from_data(
    data: Any, *, file: str = "<scenario>", lines: dict[tuple, int] | None = None
) -> Scenario:
    lines = lines or {}
    if not isinstance(data, dict):
        raise ScenarioError(
            "expected a mapping at the top level (name, requests, load, ...)", file=file, line=1
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        described = [_describe(e, data, lines) for e in exc.errors()]
        line, field, msg = described[0]
        more = [f"{file}:{ln}: {fld}: {m}" if ln else f"{file}: {fld}: {m}" for ln, fld, m in described[1:]]
        message = msg + ("".join("\n" + m for m in more) if more else "")
        raise ScenarioError(message, file=file, line=line, field=field or None) from None


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such scenario file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario: {exc}", file=str(path)) from None
    data, lines = _compose(text, str(path))
    return scenario_from_data(data, file=str(path), lines=lines)


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML (plain data, durations in seconds), re-loadable by ``load_scenario``."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
