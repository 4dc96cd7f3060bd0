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

from fastapi import Request

from safealign.config.base import redact_url  # noqa: F401 - re-exported: the monitor's modules import it from here
from safealign.serve.protocol import RequestError

log = logging.getLogger(__name__)

KEY_ENV = "SAFEALIGN_MONITOR_KEY"


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
