"""Telemetry collection during a run: Prometheus scrapes of the target and psutil process samples.

Collection only; interpretation (rates, ratios, the metric-name mapping) is the analysis package's.
"""

from scalectl.telemetry.sampler import ProcessSource, PrometheusSource, TelemetrySampler

__all__ = ["ProcessSource", "PrometheusSource", "TelemetrySampler"]
