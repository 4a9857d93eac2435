"""The options of ``scalectl recommend`` (declared here to keep the command short)."""

from __future__ import annotations

import typer

_FROM = typer.Option(
    ...,
    "--from",
    help="Evidence: baseline files (reports/baselines/NAME.json; a replica sweep NAME-r1.json, "
    "NAME-r2.json...; baselines at several --cpus-per-replica give horizontal vs vertical options) "
    "and/or run directories. Repeat the option for several.",
)
_TARGET = typer.Option(
    None, "--target-rps", help="Peak rate to size for (requests/s). Default with --history: the trend's now."
)
_SLO = typer.Option(
    [],
    "--slo",
    help="SLO the capacity must hold, e.g. 'p95<300ms' (repeatable). Default: the evidence's SLO, "
    "else p95<300ms.",
)
_UTIL = typer.Option(0.7, "--utilization", help="Fraction of the predicted capacity to plan to use (0..1].")
_REDUNDANCY = typer.Option(1, "--redundancy", help="Spare replicas: 1 → N+1, 2 → N+2.")
_DB_MAX = typer.Option(
    None,
    "--db-max-connections",
    help="The database's max_connections (default: read via --db-url, else 100).",
)
_DB_URL = typer.Option(
    None, "--db-url", help="PostgreSQL URL to read max_connections from (SHOW max_connections)."
)
_MAX_REPLICAS = typer.Option(100, "--max-replicas", help="Largest replica count considered.")
_OUT = typer.Option(
    None,
    "--out",
    help="Directory for recommendation.json, report.html and manifests "
    "(default reports/recommendations/<ts>/).",
)
_NAME = typer.Option(
    None,
    "--name",
    help="Service name in the manifests (default: alwrity-backend for the bundled backend, else the "
    "scenario's name).",
)
_IMAGE = typer.Option(None, "--image", help="Container image for the manifests (NAME:latest).")
_PORT = typer.Option(
    None,
    "--port",
    min=1,
    max=65535,
    help="Port the service listens on in its container (default: from the evidence's target: the "
    "bundled backend's 8000, the --host URL's port, or 8000 for a command that takes {port}).",
)
_READY_PATH = typer.Option(
    None,
    "--ready-path",
    help="Readiness path for the health checks (default: the target's ready_path, '/' for a --host "
    "service; the bundled backend's /health/ready).",
)
_ENV = typer.Option(
    [], "--env", "-e", help="KEY=VALUE for the service's containers in the manifests (repeatable)."
)
_VERIFY = typer.Option(
    False,
    "--verify",
    help="Start the target as recommended (bundled, or your service: --target-cmd or the one recorded "
    "in the evidence), drive the target rate, compare.",
)
_SCENARIO = typer.Option(
    None, "--scenario", help="Scenario for --verify (default: the scenario recorded in the evidence)."
)
_VERIFY_DURATION = typer.Option("20s", "--verify-duration", help="Length of the --verify run.")
_WORKERS = typer.Option(0, "--workers", help="Locust workers for --verify (0: chosen from the rate).")
_TARGET_CMD = typer.Option(
    None,
    "--target-cmd",
    help="--verify on your own service: a shell command with {port} and {replicas} (default: the target "
    "recorded in the evidence).",
)
_GROWTH = typer.Option(
    None, "--growth", help="Load growth, compounding: 10%/month, 2%/week or 40%/year (forecast per month)."
)
_HISTORY = typer.Option(
    None,
    "--history",
    help="CSV of date,peak_rps: fit an exponential trend (log-linear least squares, R² reported) instead "
    "of --growth.",
    dir_okay=False,
)
_HORIZON = typer.Option(12, "--horizon", help="Months to forecast.")
_CURRENT = typer.Option(
    None,
    "--current-replicas",
    help="Replicas running today (default: the recommended count) for the run-out month.",
)
_VCPU = typer.Option(None, "--price-vcpu-hour", help="Price of one vCPU per hour (cost of the CPU request).")
_GIB = typer.Option(
    None, "--price-gib-hour", help="Price of one GiB of memory per hour (cost of the memory request)."
)
_PRICES = typer.Option(
    None,
    "--prices",
    help="YAML price sheet: vcpu_hour, gib_hour, currency and/or instance_types (name, vcpu, memory_gib, "
    "hourly); with instance types the replicas are packed onto the cheapest set of instances.",
    dir_okay=False,
)
_CURRENCY = typer.Option("USD", "--currency", help="Currency of --price-vcpu-hour / --price-gib-hour.")
