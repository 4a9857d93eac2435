"""deployment.yaml: Deployment (probes, resources), Service and an autoscaling/v2 HPA."""

from __future__ import annotations

from scalectl.capacity.manifests.common import (
    ManifestOptions,
    dump_yaml,
    header,
    hpa_max_replicas,
    service_env,
)
from scalectl.models import Recommendation


def kubernetes_documents(rec: Recommendation, options: ManifestOptions) -> list[dict]:
    labels = {"app.kubernetes.io/name": options.name}
    return [
        _deployment(rec, options, labels),
        _service(options.name, labels),
        _hpa(rec, options.name, labels),
    ]


def _container(rec: Recommendation, options: ManifestOptions) -> dict:
    """The service's container: image, port, environment, measured resources, the three probes."""
    name, port = options.name, options.port
    live = options.live_path or options.ready_path
    r = rec.resources
    limits = {"memory": r.memory_limit}
    if r.cpu_limit:
        limits["cpu"] = r.cpu_limit
    return {
        "name": name,
        "image": options.image,
        "ports": [{"name": "http", "containerPort": port}],
        "env": [{"name": k, "value": v} for k, v in service_env(rec, options).items()],
        "resources": {"requests": {"cpu": r.cpu_request, "memory": r.memory_request}, "limits": limits},
        "livenessProbe": {
            "httpGet": {"path": live, "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 2,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": options.ready_path, "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 2,
            "failureThreshold": 2,
        },
        "startupProbe": {
            "httpGet": {"path": live, "port": "http"},
            "periodSeconds": 2,
            "failureThreshold": 30,
        },
    }


def _deployment(rec: Recommendation, options: ManifestOptions, labels: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": options.name, "labels": labels},
        "spec": {
            "replicas": rec.replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [_container(rec, options)]}},
        },
    }


def _service(name: str, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": labels,
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _hpa(rec: Recommendation, name: str, labels: dict) -> dict:
    """An autoscaling/v2 HPA from the recommended replicas, on the recommended CPU utilization."""
    utilization = rec.resources.hpa_cpu_utilization or round(rec.utilization_target * 100)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": rec.replicas,
            "maxReplicas": hpa_max_replicas(rec),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": utilization},
                    },
                }
            ],
        },
    }


def render_kubernetes(rec: Recommendation, options: ManifestOptions | None = None) -> str:
    options = options or ManifestOptions()
    docs = kubernetes_documents(rec, options)
    head = "\n".join(header(rec, options))
    live = options.live_path or options.ready_path
    notes = {
        "Deployment": f"# Deployment: liveness {live}, readiness {options.ready_path}; requests from "
        "measured usage",
        "Service": "# Service: one stable address in front of the replicas",
        "HorizontalPodAutoscaler": (
            f"# HPA: floor at the recommended {rec.replicas}; ceiling {hpa_max_replicas(rec)} "
            "(connection budget and USL peak); CPU target = utilization target"
        ),
    }
    parts = [notes[d["kind"]] + "\n" + dump_yaml(d) for d in docs]
    return head + "\n" + "---\n".join(parts)
