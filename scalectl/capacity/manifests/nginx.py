"""nginx-upstream.conf: a least_conn upstream with keepalive and timeouts, and the proxying server."""

from __future__ import annotations

from scalectl.capacity.manifests.common import ManifestOptions, header
from scalectl.models import Recommendation


def render_nginx(rec: Recommendation, options: ManifestOptions | None = None) -> str:
    """An ``http``-context snippet (conf.d/default.conf): upstream + server."""
    options = options or ManifestOptions()
    servers = options.servers or (f"{options.name}:{options.port}",)
    upstream = options.name.replace("-", "_")
    lines = header(rec, options)
    timeout = (
        f"(LLM_TIMEOUT_S={rec.settings.get('LLM_TIMEOUT_S', '-')}s)"
        if options.bundled
        else "(keep the app's own upstream timeouts below it)"
    )
    lines += [
        "# least_conn: send each request to the replica with the fewest in flight",
        f"# keepalive {options.keepalive}: reuse upstream connections (HTTP/1.1, Connection cleared)",
        f"# proxy_read_timeout {options.lb_read_timeout_s:g}s stays above the app's upstream timeout "
        f"{timeout}, so the app answers first",
        f"upstream {upstream} {{",
        "    least_conn;",
    ]
    lines += [f"    server {s} max_fails=3 fail_timeout=10s;" for s in servers]
    lines += [
        f"    keepalive {options.keepalive};",
        "    keepalive_timeout 60s;",
        "}",
        "",
        "server {",
        "    listen 80;",
        "    location / {",
        f"        proxy_pass http://{upstream};",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"        proxy_connect_timeout {options.lb_connect_timeout_s:g}s;",
        f"        proxy_read_timeout {options.lb_read_timeout_s:g}s;",
        f"        proxy_send_timeout {options.lb_read_timeout_s:g}s;",
        "        proxy_next_upstream error timeout http_502 http_503;",
        "        proxy_next_upstream_tries 2;",
        "    }",
        f"    location = {options.live_path or options.ready_path} {{",
        f"        proxy_pass http://{upstream};",
        "        access_log off;",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)
