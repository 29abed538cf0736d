"""`digestbot healthcheck`, which the Docker HEALTHCHECK runs every 30 seconds. It imports
nothing but the settings and the standard library, so the check itself stays cheap."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from bot.runtime.config import parse_listen


def check_health(listen: str, *, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask /healthz on a METRICS_LISTEN address; return (healthy, one line saying why)."""
    host, port = parse_listen(listen)
    # A wildcard address is where the server listens, not one to connect to.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    # Never through a proxy from the environment: the server is local.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status, body = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return False, f"no answer from {url}: {reason}"
    try:
        report = json.loads(body)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        return False, f"{url} answered {status} without a health report"
    if status != 200:
        problems = report.get("problems") or [f"status {status}"]
        return False, f"unhealthy: {'; '.join(str(p) for p in problems)}"
    scheduler = report.get("scheduler") or {}
    age = scheduler.get("last_tick_age_seconds")
    tick = "" if age is None else f", last tick {age:.0f} s ago"
    return True, f"healthy: database reachable{tick}"
