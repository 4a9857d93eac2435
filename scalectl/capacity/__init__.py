"""Capacity model: USL fit, queueing, replica and resource sizing, manifests. Pure (no I/O)
except :mod:`scalectl.capacity.pg`, the one helper that asks PostgreSQL for ``max_connections``."""
