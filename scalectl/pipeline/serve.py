"""``scalectl target up``: start the bundled reference backend, record it (state.json), and either
leave it running (``--detach``) or hold it in the foreground until Ctrl-C or SIGTERM, then drain and
stop it, whatever happens (a second Ctrl-C included)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scalectl.errors import TargetError

Say = Callable[[str], None]


def start_bundled(
    *,
    replicas: int,
    port: int | None,
    lb: str,
    cpus_per_replica: int | None,
    env: Mapping[str, str],
    workdir: Path,
    ready_timeout: float,
    say: Say,
) -> Any:
    """Start the replicas (and nginx) and wait until each is ready; exit 3 when one is already
    running from ``workdir``. Returns the ``TargetInfo``."""
    from scalectl import target

    state = target.state_path(workdir)
    existing = target.load_state(state)
    if existing is not None and target.is_running(existing):
        raise TargetError(
            f"a target is already running at {existing.url} (state in {state})",
            hint="stop it with 'scalectl target down' first",
        )
    say(f"starting {replicas} replica(s) (lb: {lb}) ...")
    return target.start_target(
        replicas=replicas,
        port=port,
        lb=lb,
        cpus_per_replica=cpus_per_replica,
        env=dict(env),
        workdir=workdir,
        ready_timeout=ready_timeout,
    )


def serve(info: Any, workdir: Path, *, detach: bool, show: Callable[[Any], None], say: Say) -> None:
    """Record the started target and show it; then leave it running (``detach``) or hold it until
    Ctrl-C / SIGTERM (or until every process exits: exit 3), and stop it."""
    from scalectl import target

    state = target.state_path(workdir)
    # From here on, whatever happens (Ctrl-C while printing included), a foreground target is stopped.
    keep_running = False
    exited = False
    previous = signal.getsignal(signal.SIGTERM)
    try:
        target.save_state(info, state)
        show(info)
        if detach:
            keep_running = True
            say("running in the background; stop it with 'scalectl target down'")
            return
        signal.signal(signal.SIGTERM, _interrupt)
        say("running; press Ctrl-C to stop")
        exited = _hold(info)
    except KeyboardInterrupt:
        say("stopping (draining in-flight requests) ...")
    finally:
        if not keep_running:
            signal.signal(signal.SIGTERM, previous)
            _stop(info, state)
    if exited:
        raise TargetError(f"every process of the target exited on its own (logs in {workdir})")
    say("stopped")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _hold(info: Any) -> bool:
    """Wait while the target runs; True once every process of it has exited on its own."""
    from scalectl import target

    while target.is_running(info):
        time.sleep(0.5)
    return True


def _stop(info: Any, state: Path) -> None:
    """Stop the target and forget its state; a second Ctrl-C must not cut it short."""
    from scalectl import target

    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        target.stop_target(info)
        state.unlink(missing_ok=True)
    finally:
        signal.signal(signal.SIGINT, previous_int)
