"""Ready-to-use manifests rendered from a Recommendation (text in, text out; no files written here).

``render_all`` returns {file name: text} for ``docker-compose.scale.yml``, ``deployment.yaml``
(Deployment + Service + autoscaling/v2 HorizontalPodAutoscaler) and ``nginx-upstream.conf``; each
carries comments citing the evidence the figures rest on.
"""

from __future__ import annotations

from scalectl.capacity.manifests.common import (
    ManifestOptions,
    evidence_comments,
    hpa_max_replicas,
    options_for_target,
)
from scalectl.capacity.manifests.compose import render_compose
from scalectl.capacity.manifests.kubernetes import render_kubernetes
from scalectl.capacity.manifests.nginx import render_nginx
from scalectl.models import Recommendation

COMPOSE_FILE = "docker-compose.scale.yml"
KUBERNETES_FILE = "deployment.yaml"
NGINX_FILE = "nginx-upstream.conf"


def render_all(rec: Recommendation, options: ManifestOptions | None = None) -> dict[str, str]:
    options = options or ManifestOptions()
    return {
        COMPOSE_FILE: render_compose(rec, options),
        KUBERNETES_FILE: render_kubernetes(rec, options),
        NGINX_FILE: render_nginx(rec, options),
    }


__all__ = [
    "COMPOSE_FILE",
    "KUBERNETES_FILE",
    "NGINX_FILE",
    "ManifestOptions",
    "evidence_comments",
    "hpa_max_replicas",
    "options_for_target",
    "render_all",
    "render_compose",
    "render_kubernetes",
    "render_nginx",
]
