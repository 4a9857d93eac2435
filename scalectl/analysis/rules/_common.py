"""What every rule sees (``Context``), and the helpers the rules share."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from scalectl import layout
from scalectl.analysis import levels as lv
from scalectl.analysis import scope
from scalectl.analysis.monitor import Monitor, cpu_allotment_cores
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.signals import Signals
from scalectl.models import Evidence, Finding, RunResult


@dataclass(frozen=True)
class Trend:
    """How latency and throughput moved with load."""

    load_name: str
    span: float
    corr: float | None
    low_p95: float | None
    high_p95: float | None
    low: pd.Series
    high: pd.Series

    def rises(self, params: AnalysisParams) -> bool:
        return bool(
            self.span >= params.min_load_span
            and self.corr is not None
            and self.corr >= params.latency_load_corr
            and self.low_p95
            and self.high_p95 is not None
            and self.high_p95 / self.low_p95 >= params.latency_rise_ratio
        )


@dataclass(frozen=True)
class Context:
    """A rule's input: the run's signals, the run itself (environment, endpoints), the monitor, and
    the other runs of its sweep (a baseline's steps, any order) when it is one of them."""

    run: RunResult
    signals: Signals
    monitor: Monitor
    params: AnalysisParams
    sweep: tuple[RunResult, ...] = ()

    @cached_property
    def kind(self) -> scope.TargetKind | None:
        """bundled / command / external, or None when an older run does not say (analysis/scope.py)."""
        return scope.target_kind(self.run)

    @property
    def bundled(self) -> bool:
        return self.kind == "bundled"

    @cached_property
    def levels(self) -> list[lv.Level]:
        """Load levels, lowest first: the sweep's steps up to this run's load, else this run's own."""
        if self.sweep:
            return lv.sweep_levels(self.sweep, self.run, self.params)
        return lv.run_levels(self.run, self.signals, self.loaded, self.params)

    @cached_property
    def plateau(self) -> lv.Plateau | None:
        """Throughput flat while latency grows with load (Little's law: a concurrency limit)."""
        return lv.find_plateau(self.levels, self.params)

    @cached_property
    def loaded(self) -> pd.Series:
        """Loaded seconds without start/stop edges (``AnalysisParams.edge_fraction``)."""
        return self.signals.steady(self.params.edge_fraction)

    @cached_property
    def window(self) -> tuple[float, float] | None:
        idx = self.signals.load.index[self.loaded.to_numpy()]
        return (float(idx.min()), float(idx.max()) + 1.0) if len(idx) else None

    @cached_property
    def requests(self) -> float:
        return float(self.run.total.requests)

    def error_count(self, *kinds: str) -> float:
        errs = self.signals.errors
        if not errs.empty:
            return float(sum(errs[k].sum() for k in kinds if k in errs.columns))
        return float(sum(self.run.total.errors.get(k, 0) for k in kinds))

    def error_share(self, *kinds: str) -> float:
        return self.error_count(*kinds) / self.requests if self.requests else 0.0

    def p90(self, frame: pd.DataFrame) -> pd.Series:
        """Per column: the 90th percentile over loaded seconds."""
        return frame[self.loaded.reindex(frame.index, fill_value=False)].quantile(0.9)

    @cached_property
    def cpu_allotment(self) -> float:
        """Cores per replica."""
        n = self.signals.cpu.shape[1] or (self.run.environment.replicas or 1)
        return cpu_allotment_cores(self.run, self.params, n)

    @cached_property
    def cpu_utilization(self) -> pd.Series:
        """Per replica: CPU p90 over loaded seconds as a share of its allotment (empty without CPU)."""
        if self.signals.cpu.empty:
            return pd.Series(dtype=float)
        return self.p90(self.signals.cpu) / (self.cpu_allotment * 100.0)

    def trend_evidence(self) -> Evidence:
        """Evidence that latency follows load (the Spearman correlation of p95 with the load)."""
        return Evidence(
            metric=f"p95 latency vs {self.trend.load_name} (Spearman)",
            observed=round(self.trend.corr or 0, 2),
            threshold=self.params.latency_load_corr,
            window=self.window,
        )

    @cached_property
    def replicas(self) -> int:
        target = self.run.target.replicas if self.run.target else None
        return int(
            self.run.environment.replicas
            or target
            or max(len(self.signals.replicas), self.signals.cpu.shape[1], 1)
        )

    @cached_property
    def breaker_open_share(self) -> float | None:
        states = self.signals.labelled("breaker_state")
        if not states:
            return None
        frame = pd.concat(states.values(), axis=1)[self.loaded]
        is_open = (frame == 1).any(axis=1)
        return float(is_open.mean()) if len(frame) else 0.0

    @cached_property
    def behind_proxy(self) -> bool | None:
        """A load balancer process in front (True); the bundled target served directly, one replica or
        SO_REUSEPORT (False: a 502/504 then comes from the app itself); unknown (None)."""
        if any(ts.role == "load_balancer" for ts in self.run.telemetry):
            return True
        return False if self.run.environment.replicas else None

    @cached_property
    def target_env(self) -> Mapping[str, str] | None:
        """The target's environment as the run (its target spec) or the scenario recorded it."""
        if self.run.target is not None and self.run.target.env:
            return dict(self.run.target.env)
        sc = self.run.scenario or {}
        for path in (("target", "env"), ("target_env",), ("env",)):
            node: object = sc
            for key in path:
                node = node.get(key) if isinstance(node, Mapping) else None
            if isinstance(node, Mapping):
                return {str(k): str(v) for k, v in node.items()}
        return None

    @cached_property
    def trend(self) -> Trend:
        return load_trend(self.signals, self.run.load_model, self.params, self.loaded)

    def verify(self, *, env: Mapping[str, str] | None = None, replicas: int | None = None) -> str:
        """The command that re-measures after a change (same scenario as run), then re-analyses.

        A target scalectl starts (bundled, or the user's command) inherits knobs from the environment;
        an external one (``--host``) is changed by the user first, then measured again at its URL.
        """
        scenario = (layout.run_dir(self.run.run_id) / layout.SCENARIO_FILE).as_posix()
        tail = f" && scalectl analyze {layout.latest_run().as_posix()}"
        settings = [f"{k}={v}" for k, v in (env or {}).items()]
        target = self.run.target
        if self.kind in ("bundled", "command"):
            parts = [*settings, "scalectl loadtest", scenario]
            in_scenario = isinstance((self.run.scenario or {}).get("target"), Mapping)
            if self.kind == "command" and target is not None and target.command and not in_scenario:
                parts.append(f"--target-cmd {shlex.quote(target.command)}")
            if replicas:
                parts.append(f"--replicas {replicas}")
            return " ".join(parts) + tail
        change = ", ".join(settings + ([f"{replicas} replicas"] if replicas else []))
        first = f"after changing your service ({change}): " if change else "after changing your service: "
        return f"{first}scalectl loadtest {scenario} --host {self.run.host}{tail}"

    def finding(
        self,
        *,
        rule: str,
        category: str,
        severity: str,
        confidence: float,
        server_side: bool,
        title: str,
        evidence: list[Evidence],
        action: str,
        verify: str | None,
        change: Mapping[str, str] | None = None,
    ) -> Finding:
        conf = confidence if server_side else confidence * self.params.client_only_confidence
        return Finding(
            rule=rule,
            category=category,  # type: ignore[arg-type]
            severity=severity,  # type: ignore[arg-type]
            confidence=round(min(max(conf, 0.0), 1.0), 2),
            title=title,
            evidence=evidence,
            action=action,
            verify=verify,
            change=dict(change or {}),
        )


Rule = Callable[[Context], Finding | None]


def load_trend(
    sig: Signals, load_model: str, params: AnalysisParams, loaded: pd.Series | None = None
) -> Trend:
    """Load = offered rate in open mode, else users (else achieved rate); low/high = bottom/top quarter."""
    loaded = sig.loaded if loaded is None else loaded
    df = sig.load[loaded]
    name = "users"
    load = df["users"]
    if load_model == "open" and df["offered_rps"].notna().any():
        name, load = "offered_rps", df["offered_rps"].fillna(0.0)
    if load.nunique() <= 1 and df["achieved_rps"].nunique() > 1 and load_model != "closed":
        name, load = "achieved_rps", df["achieved_rps"]
    empty = pd.Series(False, index=sig.load.index)
    if df.empty:
        return Trend(name, 0.0, None, None, None, empty, empty)
    lo, hi = float(load.min()), float(load.max())
    span = hi / lo if lo > 0 else (float("inf") if hi > 0 else 0.0)
    if hi == lo:
        span = 1.0
        low = loaded.copy()
        return Trend(name, span, None, _p95(df["p95_ms"]), _p95(df["p95_ms"]), low, empty)
    q = params.low_load_fraction
    low_m = (load <= lo + q * (hi - lo)).reindex(sig.load.index, fill_value=False)
    high_m = (load >= hi - q * (hi - lo)).reindex(sig.load.index, fill_value=False)
    if min(int(low_m.sum()), int(high_m.sum())) < params.min_window_seconds:
        # too few seconds at either end to call them load levels: judge it as one level
        return Trend(name, 1.0, None, _p95(df["p95_ms"]), _p95(df["p95_ms"]), loaded.copy(), empty)
    p95 = df["p95_ms"]
    corr = spearman(load.to_numpy(dtype=float), p95.to_numpy(dtype=float)) if p95.nunique() > 1 else None
    return Trend(
        name,
        span,
        None if corr is None or np.isnan(corr) else float(corr),
        _p95(sig.load.loc[low_m, "p95_ms"]),
        _p95(sig.load.loc[high_m, "p95_ms"]),
        low_m,
        high_m,
    )


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman rank correlation (Pearson on average ranks); numpy/pandas only, scipy.stats imports slowly."""
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    rx = pd.Series(x[ok]).rank().to_numpy()
    ry = pd.Series(y[ok]).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _p95(col: pd.Series) -> float | None:
    col = col[col > 0]
    return float(col.median()) if len(col) else None


def fmt_pct(x: float) -> str:
    return f"{x:.1%}" if x < 0.1 else f"{x:.0%}"
