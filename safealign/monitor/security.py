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
from urllib.parse import unquote, unquote_plus

from fastapi import Request

from safealign.config.base import redact_url  # noqa: F401 - re-exported: the monitor's modules import it from here
from safealign.errors import SafealignError
from safealign.serve.protocol import RequestError

log = logging.getLogger(__name__)

KEY_ENV = "SAFEALIGN_MONITOR_KEY"


def resolve_api_key(configured: str | None) -> tuple[str, bool]:
    """The key to enforce and whether it was generated here (then it is logged once, like Jupyter's token).

    Whitespace around the key is dropped: a header cannot carry it (a secret file's trailing newline made every
    request a 403). A key must be printable ASCII, the characters an ``Authorization`` header carries as sent.
    """
    key = next((k.strip() for k in (configured, os.environ.get(KEY_ENV)) if k and k.strip()), None)
    if key is None:
        return secrets.token_urlsafe(24), True
    if not all(" " <= ch <= "~" for ch in key):
        raise SafealignError(
            f"the monitor's API key (--api-key, ${KEY_ENV} or a recipe's monitor.api_key) has a character that is "
            "not printable ASCII, which an Authorization header cannot carry as sent: use letters, digits and "
            'punctuation (python -c "import secrets; print(secrets.token_urlsafe(24))")'
        )
    return key, False


def presented_keys(request: Request, allow_query: bool) -> list[str]:
    """What the request offers as the key: its Bearer token or, with ``allow_query``, its ``?key=``.

    ``?key=`` is read both ways a ``+`` in it can mean: a space (form encoding), and itself, as in a base64 key
    (``openssl rand -base64``) pasted into the address bar.
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return [given] if (given := header[7:].strip()) else []
    if not allow_query:
        return []
    offered = [request.query_params.get("key")]
    if "+" in request.url.query:
        offered.append(_literal_query_value(request.url.query, "key"))
    return [given for given in dict.fromkeys(offered) if given]


def _literal_query_value(query: str, name: str) -> str | None:
    """The last ``name=`` in a raw query string (the one ``query_params`` keeps), decoded with ``+`` kept a ``+``."""
    found = None
    for part in query.split("&"):
        field, _, value = part.partition("=")
        if unquote_plus(field) == name:
            found = unquote(value)
    return found


def key_checker(api_key: str, allow_query: bool = False) -> Callable[[Request], None]:
    """A FastAPI dependency that raises 401/403 unless the request carries ``api_key``."""

    def check(request: Request) -> None:
        offered = presented_keys(request, allow_query)
        if not offered:
            hint = "send 'Authorization: Bearer KEY'" + (" or add ?key=KEY to the URL" if allow_query else "")
            raise RequestError(
                401,
                f"this endpoint needs the monitor's API key: {hint}",
                kind="authentication_error",
                headers={"WWW-Authenticate": 'Bearer realm="safealign monitor"'},
            )
        if not any(secrets.compare_digest(given.encode(), api_key.encode()) for given in offered):
            log.warning("refused %s %s: wrong API key", request.method, request.url.path)
            raise RequestError(
                403,
                f"wrong API key: send the key this monitor was started with (--api-key, ${KEY_ENV} or the recipe's "
                "monitor.api_key; one it generated for want of these is in its log at start)",
                kind="permission_error",
            )

    return check
