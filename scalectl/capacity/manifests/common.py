"""Shared pieces of the manifests: options, evidence comments, replica bounds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from scalectl.models import Recommendation, TargetSpec

#: The bundled backend's layout: its name, port and split liveness / readiness.
BUNDLED_NAME = "alwrity-backend"
BUNDLED_PORT = 8000
BUNDLED_READY = "/health/ready"
BUNDLED_LIVE = "/health"
#: Port used for a command target whose command takes ``{port}`` (any port would do: say which).
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ManifestOptions:
    """What the manifests need to know about the service: its name, image, port, health paths and
    environment. The defaults describe the bundled backend; :func:`options_for_target` builds them
    for the user's service from the evidence's target spec."""

    name: str = BUNDLED_NAME
    image: str = f"{BUNDLED_NAME}:latest"
    port: int = BUNDLED_PORT
    #: Readiness path (answers below 500 when the service can take traffic).
    ready_path: str = BUNDLED_READY
    #: Liveness path; None → the readiness path.
    live_path: str | None = BUNDLED_LIVE
    #: Environment of the service's containers, over the recommendation's settings.
    env: Mapping[str, str] = field(default_factory=dict)
    #: The bundled backend (its image has python for the compose health check, its LB timeout note).
    bundled: bool = True
    #: Notes for the manifests' header (where the port, paths and environment came from).
    notes: tuple[str, ...] = ()
    #: Upstream servers for nginx; empty → the compose service name (``<name>:<port>``).
    servers: tuple[str, ...] = field(default_factory=tuple)
    lb_listen: int = 8080
    #: Load balancer timeouts (seconds); keep the read timeout above the app's upstream timeout.
    lb_connect_timeout_s: float = 2.0
    lb_read_timeout_s: float = 30.0
    keepalive: int = 32


def _slug(text: str) -> str:
    """A DNS-1123 label (Kubernetes names): lowercase letters, digits and '-'."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-")


def options_for_target(
    kind: str | None,
    target: TargetSpec | None,
    host: str | None,
    *,
    name: str | None = None,
    image: str | None = None,
    port: int | None = None,
    ready_path: str | None = None,
    env: Mapping[str, str] | None = None,
    service_name: str | None = None,
) -> ManifestOptions:
    """Manifest options for the measured target; explicit arguments win over the evidence.

    bundled: the bundled backend's port, /health and /health/ready. command: the declared
    ``ready_path`` and environment; the command's own port when it names one, else
    :data:`DEFAULT_PORT` (the command took ``{port}``). external or unknown: the port of the URL it was
    measured at and its declared ready path ("/" by default).
    """
    notes: list[str] = []
    if kind == "bundled":
        base = ManifestOptions()
        return ManifestOptions(
            name=name or base.name,
            image=image or base.image,
            port=port or base.port,
            ready_path=ready_path or base.ready_path,
            live_path=None if ready_path else base.live_path,
            env=dict(env or {}),
            bundled=True,
        )
    label = _slug(name or service_name or "") or "app"
    if port is None:
        port, why = _port_of(kind, target, host)
        notes.append(f"port {port}: {why} (--port to change)")
    path = ready_path or (target.ready_path if target is not None else "/")
    if not ready_path:
        notes.append(f"health checks on {path}: " + ("the target's ready_path" if target else "the default"))
    merged = dict(target.env) if target is not None and kind == "command" else {}
    merged.update(env or {})
    if merged:
        notes.append("environment: " + ", ".join(sorted(merged)) + " (the target's, and --env)")
    return ManifestOptions(
        name=label,
        image=image or f"{label}:latest",
        port=port,
        ready_path=path,
        live_path=None,
        env=merged,
        bundled=False,
        notes=tuple(notes),
    )


def _port_of(kind: str | None, target: TargetSpec | None, host: str | None) -> tuple[int, str]:
    if kind == "command":
        if target is not None and target.command and "{port}" not in target.command and target.port:
            return target.port, "the port the command listens on"
        return DEFAULT_PORT, "the command takes {port}; the container listens here"
    m = re.search(r"://(?:\[[^\]]*\]|[^/:@]+):(\d+)", host or "")
    url_port = int(m.group(1)) if m else None
    if url_port:
        return url_port, f"the port of {host}"
    if target is not None and target.port:
        return target.port, "the target's port"
    return DEFAULT_PORT, "no port in the evidence"


def service_env(rec: Recommendation, options: ManifestOptions) -> dict[str, str]:
    """The containers' environment: the recommendation's settings, then the options' (they win)."""
    out = dict(rec.settings)
    out.update(options.env)
    return dict(sorted(out.items()))


def evidence_comments(rec: Recommendation, prefix: str = "# ") -> list[str]:
    """Comment lines citing where the figures come from."""
    m = rec.model
    lines = [
        f"generated by scalectl recommend: target {rec.target_rps:g} req/s, SLO {', '.join(rec.slo) or '-'}",
        f"replicas {rec.replicas} ({rec.replicas_detail}), "
        f"reachable by replicas alone: {rec.reachable}, limited by: {rec.limited_by or '-'}",
        f"confidence {rec.confidence}; evidence: {', '.join(rec.sources) or '-'}",
    ]
    if m is not None:
        lines.append(
            f"USL over {m.axis}: lambda={m.lam:.1f} req/s, sigma={m.sigma:.4f}, kappa={m.kappa:.5f}, "
            f"points={m.n_points}" + (f", R2={m.r2:.3f}" if m.r2 is not None else "")
        )
    if rec.per_replica_capacity_rps:
        lines.append(
            f"per-replica capacity at the SLO {rec.per_replica_capacity_rps:.0f} req/s, "
            f"held to {rec.utilization_target:.0%} utilization"
        )
    r = rec.resources
    lines.append(
        f"resources per replica: cpu {r.cpu_request} (limit {r.cpu_limit or '-'}), memory "
        f"{r.memory_request} (limit {r.memory_limit}) from p90/peak of measured process usage"
    )
    if rec.db_pool_size is not None:
        lines.append(
            f"db pool {rec.db_pool_size} + {rec.db_max_overflow} overflow per replica; "
            f"{rec.replicas} x {rec.db_pool_size + (rec.db_max_overflow or 0)} connections "
            f"<= {rec.db_usable_connections} usable of max_connections {rec.db_max_connections}"
        )
    return [prefix + line.replace("\n", " ") for line in lines]


def header(rec: Recommendation, options: ManifestOptions, prefix: str = "# ") -> list[str]:
    """Evidence comments, then where the service's port, health paths and environment came from."""
    return evidence_comments(rec, prefix) + [prefix + n for n in options.notes]


def pool_per_replica(rec: Recommendation) -> int | None:
    return None if rec.db_pool_size is None else rec.db_pool_size + (rec.db_max_overflow or 0)


def hpa_max_replicas(rec: Recommendation, factor: float = 2.0) -> int:
    """Autoscaler ceiling: ``factor`` × replicas, but never past the connection budget, nor past the
    USL peak when the target is out of reach (more replicas would only slow the service)."""
    ceiling = rec.replicas if not rec.reachable else max(rec.replicas, round(rec.replicas * factor))
    per = pool_per_replica(rec)
    if per and rec.db_usable_connections:
        ceiling = min(ceiling, rec.db_usable_connections // per)
    return max(ceiling, 1)


def memory_bytes(q: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for u, m in units.items():
        if q.endswith(u):
            return int(float(q[: -len(u)]) * m)
    return int(float(q))


def cpu_cores(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def dump_yaml(doc: object) -> str:
    """YAML without anchors/aliases (plain for humans and every tool)."""
    return yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
