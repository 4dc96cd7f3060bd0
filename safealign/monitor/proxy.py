"""Forwarding a chat request to the upstream, storing the exchange before the client is answered.

Pass-through: the upstream's bytes go to the client unchanged. For a streamed answer every chunk is
relayed as it arrives except the closing ``data: [DONE]``, which is held until the exchange row and
its judge-queue row are committed: the client never sees a complete answer that was not stored.
Blocking mode buffers the answer, asks the harm judge about every choice (a request with ``n > 1``
gets several), and replaces each harmful one with a refusal. What is judged and stored of a choice is
its whole answer, its reasoning and tool calls included (``answer_text``): the harmful part may sit in
any of them. The stored row keeps every choice: see :func:`answer_fields`.

The upstream is called with aiohttp, not httpx (the project's client everywhere else). Measured on
loopback at concurrency 32 against a fast upstream (benchmarks/monitor_load.py, 2 cores): httpx
0.28 with its httpcore pool cost 2.5 ms of CPU per request (1.5 ms with an 8-connection pool), most
of it spent scanning every pooled connection for expiry on each request; httpx's client layer alone
(a canned transport) costs 0.22 ms; aiohttp costs 0.15 ms for the whole round trip. With 32 clients
arriving together, the last one waits for 32 x the gateway's CPU per request, so the 20 ms p99
budget for the gateway's added latency leaves well under 1 ms per request for everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import quote

import aiohttp
import anyio
import yarl
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Send

from safealign.chat_content import FORWARDED_TEXT_PARTS, answer_content
from safealign.config.base import without_passwords
from safealign.judges.base import HARMFUL
from safealign.monitor.metrics import MonitorMetrics
from safealign.monitor.security import redact_url
from safealign.monitor.store import utcnow
from safealign.monitor.worker import JudgeOutputError, checked_verdicts
from safealign.monitor.writer import ExchangeWriter
from safealign.serve.protocol import (
    completion_body,
    error_body,
    last_user_text,
    message_answer_text,
    parse_sse_choices,
    stream_events,
)

log = logging.getLogger(__name__)

CHAT_PATH = "/v1/chat/completions"
# Connection-level headers are the proxy's own business; accept-encoding is dropped so the upstream
# answers uncompressed and the stored text can be read from the relayed bytes. Expect: 100-continue was answered by
# the gateway's own server when it read the body: forwarded, aiohttp held the body back until the upstream sent a
# 100 Continue, and an upstream that never does (one that waits for the body, as HTTP/1.0 servers do) hung the request.
REQUEST_DROP = {
    "expect",
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "accept-encoding",
}
RESPONSE_DROP = {
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-encoding",
    "date",
    "server",
}
DONE_MARKERS = (b"data: [DONE]", b"data:[DONE]")
# The printable ASCII a query string carries as it is ("%" too: an escape the client sent stays one; not "#", which
# would start a fragment).
QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "#")
# Redirects that HTTP clients, aiohttp too, follow with a GET without the body (307 and 308 keep the POST and its body).
METHOD_CHANGING_REDIRECTS = (301, 302, 303)
# What a failed upstream call raises: connection and protocol errors, and timeouts. Sending the request may also
# raise the ValueError of a request aiohttp refuses to send (say, an Authorization header next to credentials in
# the URL): the gateway's failure, not the client's, answered and stored as an upstream error too.
UPSTREAM_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)
SEND_ERRORS = (*UPSTREAM_ERRORS, ValueError)
# No connection in time (aiohttp 3.10 on; before, a timeout does not say which): see `Proxy._timeout_meaning`.
CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", ())
# The finish reason of an answer the upstream's own content filter withheld (OpenAI's, Azure's): see `withheld`.
CONTENT_FILTER = "content_filter"


def forward_headers(request: Request, upstream_auth: str | None = None) -> list[tuple[str, str]]:
    """The client's headers for the upstream as it sent them: a repeated one kept (a dict kept only its last), and a
    value's bytes unchanged (aiohttp encodes a value as UTF-8, so a UTF-8 one is decoded as UTF-8: Starlette's latin-1
    str view sent "Jürgen" as "JÃ¼rgen"). ``upstream_auth`` (from the ``user:password@`` of ``--upstream``) is added
    only when the client sent no ``Authorization`` of its own, which goes upstream as it came."""
    drop = REQUEST_DROP | connection_options(request.headers.raw)
    headers = [
        (name.decode("latin-1"), _header_text(value))
        for name, value in request.headers.raw
        if name.decode("latin-1").lower() not in drop
    ]
    if upstream_auth and "authorization" not in request.headers:
        headers.append(("Authorization", upstream_auth))
    return headers


def connection_options(raw: Iterable[tuple[bytes, bytes]]) -> set[str]:
    """The header names a message's ``Connection`` header lists (``Connection: keep-alive, X-Session``): this hop's own
    headers, which a proxy must not forward (RFC 9110, 7.6.1); they went on to the upstream and back to the client."""
    return {
        option.strip().lower()
        for name, value in raw
        if name.lower() == b"connection"
        for option in value.decode("latin-1").split(",")
    }


def with_client_query(url: yarl.URL, request: Request) -> yarl.URL:
    """``url`` with the query string the client sent, as it sent it: a parameter the upstream needs (Azure OpenAI's
    ``?api-version=``) was dropped, and the upstream refused every request. Bytes a URL cannot carry raw (a space,
    non-ASCII) are percent-encoded; escapes already there are kept (yarl's ``with_query`` would escape their ``%``)."""
    query = request.scope.get("query_string") or b""
    if not query:
        return url
    return yarl.URL(f"{url}?{quote(query, safe=QUERY_SAFE)}", encoded=True)


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        # bytes aiohttp cannot send as they are: their latin-1 text, sent as UTF-8 (as before)
        return value.decode("latin-1")


def reply_headers(response: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers as the bytes it sent, a repeated one (two ``Set-Cookie``) kept. Not its str view:
    aiohttp decodes a value as UTF-8 and Starlette encodes it as latin-1, so a value outside latin-1 (a model name in
    Chinese, a stray latin-1 byte) failed the answer with a 500 after its exchange was stored as answered."""
    drop = RESPONSE_DROP | connection_options(response.raw_headers)
    return [(k.lower(), v) for k, v in response.raw_headers if k.lower().decode("latin-1") not in drop]


def relayed(response: Response, upstream: aiohttp.ClientResponse) -> Response:
    """``response`` with the upstream's headers (see :func:`reply_headers`)."""
    response.raw_headers.extend(reply_headers(upstream))
    return response


class StreamNotStoredError(Exception):
    """A relayed stream's exchange could not be stored: its stream is cut off (see :class:`RelayedStream`)."""


class RelayedStream(StreamingResponse):
    """A relayed stream; one whose upstream broke mid-answer (the relay re-raises the upstream's error), or whose
    exchange could not be stored (``StreamNotStoredError``), is left without its closing chunk, so that the server closes
    the connection and the client sees the stream cut off, as it would have from the upstream. Ended cleanly, it read
    as a whole answer: an OpenAI client stops at the end of a stream whether or not ``[DONE]`` came."""

    async def stream_response(self, send: Send) -> None:
        with contextlib.suppress(*UPSTREAM_ERRORS, StreamNotStoredError):
            await super().stream_response(send)


def _held_suffix(pending: bytes) -> int:
    """Where to cut ``pending`` so that nothing from a (possibly partial) ``[DONE]`` marker is sent.

    The marker counts only at the start of a line: an answer whose text says "[DONE]" is relayed as
    it arrives, not held until the end of the stream.
    """
    for marker in DONE_MARKERS:
        if pending.startswith(marker):
            return 0
        found = pending.find(b"\n" + marker)
        if found >= 0:
            return found + 1
    for marker in DONE_MARKERS:
        for size in range(min(len(marker) - 1, len(pending)), 0, -1):
            start = len(pending) - size
            if pending.endswith(marker[:size]) and (start == 0 or pending[start - 1 : start] == b"\n"):
                return start
    return len(pending)


class Proxy:
    """The request path of the gateway: forward, store, (judge when blocking), answer."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        upstream: str,
        writer: ExchangeWriter,
        metrics: MonitorMetrics,
        blocking: bool = False,
        harm_judge: Any = None,
        refusal_message: str = "I can't help with that request.",
    ) -> None:
        self.session, self.upstream, self.writer, self.metrics = (
            session,
            upstream.rstrip("/"),
            writer,
            metrics,
        )
        # Parsed once, not per request. aiohttp refuses credentials in the URL next to an Authorization header
        # (every OpenAI SDK request has one): the user info goes as a Basic header instead, when the client has none.
        chat_url = yarl.URL(self.upstream + CHAT_PATH)
        credentials = aiohttp.BasicAuth.from_url(chat_url)
        self.upstream_auth = credentials.encode() if credentials else None
        self.chat_url = chat_url.with_user(None)
        self.models_url = yarl.URL(self.upstream + "/v1/models").with_user(None)
        self.shown_upstream = redact_url(self.upstream)  # for logs and error messages: no credentials
        self.blocking, self.harm_judge, self.refusal_message = blocking, harm_judge, refusal_message
        self._detached: set[asyncio.Task] = set()
        # Why the last exchange was not stored (a database down or refusing), for /health; None once one is stored.
        self.store_problem: str | None = None

    async def chat(self, request: Request, body: bytes, payload: dict[str, Any], started: float) -> Response:
        # created_at is the request's arrival, not the time the upstream finished answering it
        row = {
            "created_at": utcnow(),
            "model": payload.get("model"),
            "request": payload,
            "prompt": last_user_text(payload),
            "stream": bool(payload.get("stream")),
            "blocked": False,
        }
        sent = time.perf_counter()
        try:
            upstream = await self.session.post(
                with_client_query(self.chat_url, request),
                data=body,
                headers=forward_headers(request, self.upstream_auth),
            )
        except SEND_ERRORS as error:
            return await self._unreachable(row, error, started)
        if hop := next((hop for hop in upstream.history if hop.status in METHOD_CHANGING_REDIRECTS), None):
            upstream.close()
            return await self._redirected(row, hop, started, time.perf_counter() - sent)
        is_sse = upstream.headers.get("content-type", "").startswith("text/event-stream")
        if upstream.status == 200 and is_sse and not self.blocking:
            if await request.is_disconnected():
                return await self._left_before_answer(upstream, row, started)
            return relayed(
                RelayedStream(self._relay(upstream, row, started, sent), status_code=200), upstream
            )
        try:
            content = await upstream.read()
        except UPSTREAM_ERRORS as error:
            return await self._unreachable(row, error, started)
        finally:
            upstream.release()
        upstream_s = time.perf_counter() - sent
        row.update(upstream_status=upstream.status, upstream_latency_ms=upstream_s * 1000)
        if upstream.status != 200:
            return await self._rejected(row, upstream, content, started, upstream_s)
        problems: list[str] = []  # an error event or a malformed choice in a stream, content that is not text
        texts = (
            parse_sse_choices(content, problems, whole=True)[0]
            if is_sse
            else _message_texts(content, problems)
        )
        if not texts or problems:
            return await self._garbled(row, content, is_sse, started, upstream_s, problems)
        texts = [whole_characters(text) for text in texts]  # what is judged is what is stored
        if withheld(texts, content, is_sse):
            row.update(answer_fields(texts), status="upstream_filtered", queue=False)
        else:
            row.update(answer_fields(texts), status="queued", queue=True)
        if self.blocking and row["queue"]:
            harmful = await self._harmful(row["prompt"], texts)
            if any(harmful):
                self.metrics.blocked.inc()
                sent_texts = [self.refusal_message if h else t for t, h in zip(texts, harmful, strict=True)]
                row.update(
                    blocked=True,
                    original_response=row["response"],
                    response=answer_fields(sent_texts)["response"],
                )
                content = self._refusal_bytes(content, is_sse, row["model"], harmful)
        if not await self._store(row, started):
            return _storage_failed(self.metrics)
        self._observe(200, started, upstream_s)
        return relayed(Response(content, status_code=200), upstream)

    async def models(self, request: Request, model_id: str | None = None) -> Response:
        """``GET /v1/models`` (or ``/v1/models/{model_id}``), relayed as is (no exchange is stored)."""
        url = self.models_url
        if model_id:
            url = url.with_path(f"{url.raw_path}/{quote(model_id, safe='')}", encoded=True)
        try:
            async with self.session.get(
                with_client_query(url, request), headers=forward_headers(request, self.upstream_auth)
            ) as upstream:
                content = await upstream.read()
        except SEND_ERRORS as error:
            self.metrics.upstream_errors.labels(kind=_error_kind(error)).inc()
            message = f"upstream model server {self.shown_upstream} failed: {self._reason(error)}"
            return JSONResponse(error_body(message, "upstream_error"), status_code=502)
        return relayed(Response(content, status_code=upstream.status), upstream)

    async def _relay(
        self, upstream: aiohttp.ClientResponse, row: dict[str, Any], started: float, sent: float
    ) -> AsyncIterator[bytes]:
        received, pending = bytearray(), b""
        try:
            async for chunk in upstream.content.iter_any():
                received += chunk
                pending += chunk
                cut = _held_suffix(pending)
                if cut:
                    yield pending[:cut]
                    pending = pending[cut:]
        except UPSTREAM_ERRORS as error:
            log.warning(
                "upstream stream broke: %s; the client's stream is cut off too",
                self._timeout_meaning(error)
                if isinstance(error, asyncio.TimeoutError)
                else without_passwords(str(error)),
            )
            self.metrics.upstream_errors.labels(kind="stream").inc()
            row.update(
                answer_fields(parse_sse_choices(bytes(received), whole=True)[0]),
                status="upstream_error",
                upstream_status=200,
            )
            await self._store(row, started)
            self._observe(502, started, None)
            raise  # see RelayedStream
        except (GeneratorExit, asyncio.CancelledError):
            # The client went away mid-answer: what came of the answer is still judged (stored off this task). One
            # that left before any text came (a short client timeout against a server that sends the answer whole) is
            # stored unjudged: an empty answer would be judged evasive and dilute the refusal rates.
            texts = parse_sse_choices(bytes(received), whole=True)[0]
            answered = any(texts)
            row.update(
                answer_fields(texts),
                upstream_status=200,
                status="queued" if answered else "client_closed",
                queue=answered,
            )
            task = asyncio.get_running_loop().create_task(self._store(row, started))
            self._detached.add(task)
            task.add_done_callback(self._detached.discard)
            self.metrics.requests.labels(status="499").inc()
            raise
        finally:
            upstream.release()
        upstream_s = time.perf_counter() - sent
        row.update(upstream_status=200, upstream_latency_ms=upstream_s * 1000)
        problems: list[str] = []
        texts = parse_sse_choices(bytes(received), problems, whole=True)[0]
        if texts and not problems:
            filtered = withheld(texts, bytes(received), is_sse=True)
            row.update(
                answer_fields(texts), status="upstream_filtered" if filtered else "queued", queue=not filtered
            )
        else:
            self._bad_stream(row, bytes(received), problems)
        if not await self._store(row, started):
            self.metrics.requests.labels(status="503").inc()
            # No [DONE], and no clean end either (an ended stream reads as a whole answer): the client sees it cut off.
            raise StreamNotStoredError(f"exchange not stored: {row['status']}")
        self._observe(502 if row["status"] == "upstream_error" else 200, started, upstream_s)
        if pending:
            yield pending

    async def _left_before_answer(
        self, upstream: aiohttp.ClientResponse, row: dict[str, Any], started: float
    ) -> Response:
        """A streaming client that left before the upstream's first byte (a short client timeout against a server that
        sends nothing until the answer is ready): the stream is not read — closing it lets the model server stop — and
        the exchange is stored unjudged, as one that left before any answer text came. Relaying it instead raced the
        client's disconnect: when the whole answer was already buffered, it was read, judged, and counted as answered."""
        upstream.close()
        row.update(answer_fields([]), upstream_status=200, status="client_closed", queue=False)
        await self._store(row, started)
        self.metrics.requests.labels(status="499").inc()
        return Response(status_code=499)

    def _bad_stream(self, row: dict[str, Any], received: bytes, problems: list[str]) -> None:
        """A 200 stream that carried an error event, a malformed choice or no choice at all: the upstream's failure,
        stored with its raw events and not judged (its bytes already went to the client as they came)."""
        self.metrics.upstream_errors.labels(kind="stream").inc()
        log.warning(
            "upstream %s streamed %s",
            self.shown_upstream,
            problems[0] if problems else "no chat.completion.chunk choices",
        )
        row.update(status="upstream_error", response=received[:4000].decode("utf-8", errors="replace"))

    async def _store(self, row: dict[str, Any], started: float) -> bool:
        """Whether ``row`` was stored (the writer logs why not); ``store_problem`` says the last one was not."""
        row["latency_ms"] = (time.perf_counter() - started) * 1000
        try:
            await self.writer.write(row)
        except Exception as error:
            self.store_problem = (
                f"the last exchange could not be stored ({type(error).__name__}): chat requests answer 503 until the "
                "database takes them again; see the gateway's log"
            )
            return False
        self.store_problem = None
        return True

    async def _harmful(self, prompt: str, texts: list[str]) -> list[bool]:
        """Blocking mode's check of every choice; a judge that fails blocks them all (fail closed)."""
        if not texts:
            return []
        try:
            verdicts = await anyio.to_thread.run_sync(
                lambda: self.harm_judge.judge([prompt] * len(texts), texts)
            )
            return [
                verdict.label == HARMFUL
                for verdict in checked_verdicts("harm", self.harm_judge, verdicts, len(texts))
            ]
        except JudgeOutputError as error:
            # too few verdicts must not let a choice through, nor fail the request
            log.error("blocking judge: %s; answer replaced by the refusal message", error)
            return [True] * len(texts)
        except Exception:
            log.exception("blocking judge failed; answer replaced by the refusal message")
            return [True] * len(texts)

    def _refusal_bytes(self, content: bytes, is_sse: bool, model: str | None, harmful: list[bool]) -> bytes:
        """The answer with each harmful choice replaced by the refusal, in the shape the client asked for. A replaced
        choice keeps nothing of the model's: not its reasoning, tool calls, logprobs or token ids. A stream is rebuilt
        from its texts, so its harmless choices lose theirs too (the documented cost of blocking a stream); it keeps
        the ``model`` and ``id`` the upstream's chunks named (``model``, the request's, when they name none: a request
        without one was answered as model "unknown")."""
        if is_sse:
            texts, finishes, usage = parse_sse_choices(content)
            texts = [self.refusal_message if h else t for t, h in zip(texts, harmful, strict=True)]
            reasons = [CONTENT_FILTER if h else (f or "stop") for f, h in zip(finishes, harmful, strict=True)]
            named, chat_id = _stream_names(content)
            return b"".join(stream_events(named or model or "unknown", texts, reasons, usage, chat_id))
        try:
            data = json.loads(content)
            for choice, replace in zip(_sorted_choices(data), harmful, strict=True):
                if replace:
                    index = choice.get("index", 0)
                    choice.clear()  # in place: the choice keeps its position in the list
                    choice.update(
                        index=index,
                        message={"role": "assistant", "content": self.refusal_message},
                        finish_reason=CONTENT_FILTER,
                        logprobs=None,
                    )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            data = completion_body(
                model or "unknown",
                [self.refusal_message] * len(harmful),
                [CONTENT_FILTER] * len(harmful),
                0,
                0,
            )
        return json.dumps(data).encode()

    async def _unreachable(self, row: dict[str, Any], error: Exception, started: float) -> JSONResponse:
        kind = _error_kind(error)
        self.metrics.upstream_errors.labels(kind=kind).inc()
        log.warning(
            "upstream %s failed: %s: %s",
            self.shown_upstream,
            type(error).__name__,
            self._timeout_meaning(error)
            if isinstance(error, asyncio.TimeoutError)
            else str(error).replace(self.upstream, self.shown_upstream),
        )
        row.update(status="upstream_error", response=None)
        await self._store(row, started)
        self._observe(502, started, None)
        message = f"upstream model server {self.shown_upstream} failed ({kind}: {self._reason(error)})"
        return JSONResponse(error_body(message, "upstream_error"), status_code=502)

    async def _redirected(
        self, row: dict[str, Any], hop: aiohttp.ClientResponse, started: float, upstream_s: float
    ) -> JSONResponse:
        """The upstream redirected the chat request with a 301, 302 or 303, which HTTP clients (aiohttp too) follow with
        a GET and no body: what came back (a 405, or a GET's page) is no answer to the client's POST. Relayed as is, the
        client saw a 405 'Method Not Allowed' for its POST while /v1/models worked. The fix is the upstream address."""
        self.metrics.upstream_errors.labels(kind="redirect").inc()
        target = without_passwords(hop.headers.get("location", "another address"))
        log.warning(
            "upstream %s redirected the chat request (%d to %s)", self.shown_upstream, hop.status, target
        )
        row.update(status="upstream_error", upstream_status=hop.status, response=None)
        await self._store(row, started)
        self._observe(502, started, upstream_s)
        message = (
            f"upstream model server {self.shown_upstream} redirected the chat request ({hop.status} to {target}), which "
            "would turn its POST into a GET; set the monitor's --upstream to the address it redirects to"
        )
        return JSONResponse(error_body(message, "upstream_error"), status_code=502)

    async def _rejected(
        self,
        row: dict[str, Any],
        upstream: aiohttp.ClientResponse,
        content: bytes,
        started: float,
        upstream_s: float,
    ) -> Response:
        if upstream.status >= 500:
            self.metrics.upstream_errors.labels(kind="http_5xx").inc()
        status = "upstream_error" if upstream.status >= 500 else "upstream_rejected"
        row.update(status=status, response=content[:4000].decode("utf-8", errors="replace"))
        await self._store(row, started)
        self._observe(upstream.status, started, upstream_s)
        return relayed(Response(content, status_code=upstream.status), upstream)

    async def _garbled(
        self,
        row: dict[str, Any],
        content: bytes,
        is_sse: bool,
        started: float,
        upstream_s: float,
        problems: list[str],
    ) -> JSONResponse:
        """A 200 that is not a chat completion (not JSON, no choices, content that is not text, a stream with an error
        event or a malformed choice): stored and answered as an upstream error."""
        self.metrics.upstream_errors.labels(kind="stream" if is_sse else "bad_reply").inc()
        expected = (
            "chat.completion.chunk events with choices"
            if is_sse
            else "a chat.completion JSON object with a 'choices' list"
        )
        carrier = "the stream" if is_sse else "the answer"
        found = f": {carrier} carried {problems[0]}" if problems else ""
        log.warning(
            "upstream %s answered 200 with something that is not %s%s", self.shown_upstream, expected, found
        )
        row.update(status="upstream_error", response=content[:4000].decode("utf-8", errors="replace"))
        await self._store(row, started)
        self._observe(502, started, upstream_s)
        if self.blocking and problems:
            # A problem quotes what the upstream sent (up to 200 characters of unjudged model text): blocking mode keeps
            # the quote in the log and the stored row, and tells the client only what kind of problem it was.
            found = f": {carrier} carried {problems[0].split(': ', 1)[0]} (quoted in the gateway's log)"
        message = f"upstream model server {self.shown_upstream} answered 200 without a chat completion (expected {expected}){found}"
        return JSONResponse(error_body(message, "upstream_error"), status_code=502)

    def _reason(self, error: Exception) -> str:
        """The error's type; a request aiohttp refused to send (a ValueError, whose type says nothing) and a timeout
        (see ``_timeout_meaning``) also say why."""
        if isinstance(error, asyncio.TimeoutError):
            return f"{type(error).__name__}: {self._timeout_meaning(error)}"
        if not isinstance(error, ValueError):
            return type(error).__name__
        return (
            f"ValueError, the request was not sent: {str(error).replace(self.upstream, self.shown_upstream)}"
        )

    def _timeout_meaning(self, error: asyncio.TimeoutError) -> str:
        """What timed out, and the setting that bounds it. aiohttp's own words, "Connection timeout to host", sent the
        operator to the network when the upstream was up and every pooled connection to it busy with other answers."""
        timeout = self.session.timeout
        if isinstance(error, CONNECT_TIMEOUT):
            return (
                f"no connection to it: it accepted none within {min(timeout.sock_connect, timeout.connect):g} s, or "
                f"all of the gateway's {self.session.connector.limit} connections to it (monitor.upstream_connections) "
                f"stayed busy with other requests for {timeout.connect:g} s (monitor.upstream_timeout_s)"
            )
        return f"it sent nothing for {timeout.sock_read:g} s (monitor.upstream_timeout_s; raise it for a slower model)"

    def _observe(self, status: int, started: float, upstream_s: float | None) -> None:
        self.metrics.requests.labels(status=str(status)).inc()
        if upstream_s is not None:
            self.metrics.upstream_latency.observe(upstream_s)
            self.metrics.added_latency.observe(max(0.0, time.perf_counter() - started - upstream_s))


def _error_kind(error: BaseException) -> str:
    if isinstance(error, asyncio.TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientPayloadError):  # the answer broke off after its headers
        return "stream"
    return "request" if isinstance(error, ValueError) else "connect"


def answer_fields(texts: list[str]) -> dict[str, Any]:
    """The stored text of an answer: one choice as itself; several joined under ``[choice i]`` headings
    for reading, and also kept one by one in ``choices``, which the judge worker judges each of."""
    texts = [whole_characters(text) for text in texts]
    if len(texts) <= 1:
        return {"response": texts[0] if texts else "", "choices": None}
    return {
        "response": "\n\n".join(f"[choice {i}]\n{text}" for i, text in enumerate(texts)),
        "choices": list(texts),
    }


def whole_characters(text: str) -> str:
    """``text`` as valid Unicode. JSON escapes a character outside the BMP as two UTF-16 halves (``\\ud83d\\ude00``); a
    stream may cut between them (a server slicing a UTF-16 string, as JavaScript's are) and a server may send a half
    alone. Python decodes each half as a lone surrogate, which the database refuses: the exchange was lost, and its
    client got a 503 or a stream without ``[DONE]``. A split pair is joined into its character again; a half alone
    becomes U+FFFD.

    >>> whole_characters("smile \\ud83d" + "\\ude00"), whole_characters("half \\ud800")
    ('smile 😀', 'half \ufffd')
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def withheld(texts: list[str], content: bytes, is_sse: bool) -> bool:
    """Whether the upstream's own content filter withheld the whole answer ``content`` (whose choices' ``texts`` were
    read): no choice has any text, and a choice ended with ``content_filter``. Such an exchange is stored as
    ``upstream_filtered``, not judged: the judges read an empty answer as evasive, neither a refusal nor help, so an
    answer the provider's filter kept from its client lowered the refusal rates. An answer the filter cut off part-way
    has the model's text, which is judged. (The finish reasons are read only for an answer without text.)"""
    if any(texts):
        return False
    finishes = parse_sse_choices(content)[1] if is_sse else _finish_reasons(content)
    return CONTENT_FILTER in finishes


def _finish_reasons(content: bytes) -> list[str | None]:
    """Each choice's ``finish_reason`` of a chat.completion body that parsed as one (see ``_message_texts``)."""
    try:
        return [choice.get("finish_reason") for choice in _sorted_choices(json.loads(content))]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _stream_names(content: bytes) -> tuple[str | None, str | None]:
    """The ``model`` and ``id`` of a chat-completions stream: its first chunk that names a model (None, None if none)."""
    for line in content.splitlines():
        if not line.startswith(b"data:"):
            continue
        try:
            event = json.loads(line[5:])
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("model"), str):
            chat_id = event.get("id")
            return event["model"], chat_id if isinstance(chat_id, str) else None
    return None, None


def _sorted_choices(data: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(data["choices"], key=lambda choice: choice.get("index", 0))


def _message_texts(content: bytes, problems: list[str]) -> list[str]:
    """Every choice's whole answer (reasoning and tool calls included: see ``answer_text``) of a chat.completion body,
    in index order; empty when it is not one. A message's content is text, null or a list of content parts (which
    OpenAI-compatible servers send), whose text parts (output_text ones too) are joined; any other content is noted in
    ``problems``, and so is an ``error`` object (a 200 that carries the upstream's error, as a stream's error event
    does: the client was told only that no chat completion came, not the upstream's reason)."""
    try:
        data = json.loads(content)
        if isinstance(data, dict) and data.get("error") is not None:
            problems.append(f"an error object: {json.dumps(data['error'], ensure_ascii=False)[:300]}")
            return []
        texts = []
        for choice in _sorted_choices(data):
            message = choice["message"]
            try:
                text = answer_content(message, FORWARDED_TEXT_PARTS)
            except TypeError:
                quoted = json.dumps(message.get("content"), ensure_ascii=False)[:200]
                problems.append(
                    f"a choice {choice.get('index', 0)} whose message content is not text: {quoted}"
                )
                return []
            texts.append(message_answer_text(message | {"content": text}))
        return texts
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return []


def _storage_failed(metrics: MonitorMetrics) -> JSONResponse:
    metrics.requests.labels(status="503").inc()
    return JSONResponse(
        error_body("the monitor could not store this exchange; try again", "server_error"), status_code=503
    )
