"""docker-compose.scale.yml: the app with deploy.replicas, resources and a healthcheck, behind nginx."""

from __future__ import annotations

from scalectl.capacity.manifests.common import (
    ManifestOptions,
    cpu_cores,
    dump_yaml,
    header,
    memory_bytes,
    service_env,
)
from scalectl.models import Recommendation


def _mem(q: str) -> str:
    return f"{max(memory_bytes(q) // 2**20, 1)}M"


def _probe(options: ManifestOptions) -> list[str]:
    url = f"http://127.0.0.1:{options.port}{options.ready_path}"
    if options.bundled:
        code = (
            "import sys,urllib.request; "
            f"sys.exit(0 if urllib.request.urlopen('{url}', timeout=2).status == 200 else 1)"
        )
        return ["CMD", "python", "-c", code]
    # whichever HTTP client the image has
    return [
        "CMD-SHELL",
        f"curl -fsS -o /dev/null {url} || wget -q -O /dev/null {url} || "
        f"python3 -c \"import urllib.request; urllib.request.urlopen('{url}', timeout=2)\"",
    ]


def compose_document(rec: Recommendation, options: ManifestOptions) -> dict:
    r = rec.resources
    limits = {"memory": _mem(r.memory_limit)}
    if r.cpu_limit:
        limits["cpus"] = f"{cpu_cores(r.cpu_limit):.3f}"
    app = {
        "image": options.image,
        "environment": service_env(rec, options),
        "expose": [str(options.port)],
        "deploy": {
            "replicas": rec.replicas,
            "resources": {
                "limits": limits,
                "reservations": {"cpus": f"{cpu_cores(r.cpu_request):.3f}", "memory": _mem(r.memory_request)},
            },
            "restart_policy": {"condition": "on-failure", "delay": "5s"},
        },
        "healthcheck": {
            "test": _probe(options),
            "interval": "10s",
            "timeout": "3s",
            "retries": 3,
            "start_period": "20s",
        },
    }
    lb = {
        "image": "nginx:1.27-alpine",
        "ports": [f"{options.lb_listen}:80"],
        "volumes": ["./nginx-upstream.conf:/etc/nginx/conf.d/default.conf:ro"],
        # the bundled image has python for its health check; another image may have none of the
        # probe's tools, so the LB waits only for its start (nginx retries a replica that is not up)
        "depends_on": {
            options.name: {"condition": "service_healthy" if options.bundled else "service_started"}
        },
    }
    return {"services": {options.name: app, "lb": lb}}


def render_compose(rec: Recommendation, options: ManifestOptions | None = None) -> str:
    options = options or ManifestOptions()
    head = "\n".join(header(rec, options))
    head += (
        "\n# usage: docker compose -f docker-compose.scale.yml up -d"
        "\n# the lb service mounts nginx-upstream.conf (least_conn over the app's replicas)\n"
    )
    return head + dump_yaml(compose_document(rec, options))
