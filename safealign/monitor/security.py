"""API-key protection for the dashboard, exports and admin endpoints.

The stored exchanges are users' conversations, so everything that reads them back needs the key:
``Authorization: Bearer KEY`` from scripts, or ``?key=KEY`` for the dashboard in a browser. Missing
key: 401 (with ``WWW-Authenticate``); wrong key: 403. Keys are compared in constant time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from fastapi import Request

from safealign.serve.protocol import RequestError

log = logging.getLogger(__name__)

KEY_ENV = "SAFEALIGN_MONITOR_KEY"


def redact_url(url: str | None) -> str:
    """``url`` fit for a log line or an error message: no password, no query string or fragment.

    A webhook's token usually rides in its query (or, like Slack's, in its path: only the host of an
    http(s) URL with a path is kept), a database URL's password in its user info.
    """
    if not url:
        return str(url)
    parts = urlsplit(url)
    if not parts.netloc:  # sqlite:///FILE: nothing secret but a query
        return url.split("?", 1)[0].split("#", 1)[0] + ("?…" if parts.query else "")
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    if parts.username:
        host = f"{parts.username}:***@{host}" if parts.password else f"{parts.username}@{host}"
    path = parts.path
    if parts.scheme in ("http", "https") and path.strip("/"):
        path = "/…"
    return urlunsplit((parts.scheme, host, path, "…" if parts.query else "", ""))


def resolve_api_key(configured: str | None) -> tuple[str, bool]:
    """The key to enforce and whether it was generated here (then it is logged once, like Jupyter's token)."""
    key = configured or os.environ.get(KEY_ENV)
    if key:
        return key, False
    return secrets.token_urlsafe(24), True


def presented_key(request: Request, allow_query: bool) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if allow_query:
        return request.query_params.get("key")
    return None


def key_checker(api_key: str, allow_query: bool = False) -> Callable[[Request], None]:
    """A FastAPI dependency that raises 401/403 unless the request carries ``api_key``."""

    def check(request: Request) -> None:
        given = presented_key(request, allow_query)
        if not given:
            hint = "send 'Authorization: Bearer KEY'" + (" or add ?key=KEY to the URL" if allow_query else "")
            raise RequestError(401, f"this endpoint needs the monitor's API key: {hint}", kind="authentication_error",
                               headers={"WWW-Authenticate": 'Bearer realm="safealign monitor"'})
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            log.warning("refused %s %s: wrong API key", request.method, request.url.path)
            raise RequestError(403, "wrong API key", kind="permission_error")

    return check
