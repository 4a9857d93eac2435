"""Orchestration: start target → run → collect → analyse → write → report (the only layer that
composes the load engine, telemetry, storage and the pure core)."""
