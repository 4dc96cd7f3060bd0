"""An HTTP answer read within its request's timeout, not each read within it.

httpx times each read on its own, so a server that pads a queued answer with whitespace to keep the connection open
(OpenRouter does) or trickles it was never timed out. Shared by the endpoint evals and the rubric judge, which both
ask OpenAI-compatible servers for whole (non-streamed) answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from time import monotonic  # not time.monotonic: tests replace the callers' time
from typing import Any

import httpx

DEADLINE = "safealign_deadline"  # a request's extension: when its answer must have been read (time.monotonic)


def timed_reading(timeout_s: float) -> dict[str, list[Callable[[Any], None]]]:
    """httpx event hooks that end a response's reading in httpx's ReadTimeout once ``timeout_s`` has passed since its
    request went out. httpx times each read on its own, so a server that pads a queued answer with whitespace to keep
    the connection open (OpenRouter does) or trickles it was never timed out: --timeout 1 waited as long as the padding
    went on. Hooks, not a read of our own, so that whatever sends the requests (``client.post``) stays as it is."""

    def sent(request: httpx.Request) -> None:
        request.extensions[DEADLINE] = monotonic() + timeout_s

    def received(response: httpx.Response) -> None:
        response.stream = _ReadBy(response.stream, response.request.extensions[DEADLINE], response.request)

    return {"request": [sent], "response": [received]}


class _ReadBy(httpx.SyncByteStream):
    """A response's bytes, ending in httpx's ReadTimeout at the first chunk that arrives after ``deadline``
    (``time.monotonic``); the wait for each chunk is under httpx's own read timeout."""

    def __init__(self, stream: httpx.SyncByteStream, deadline: float, request: httpx.Request) -> None:
        self.stream, self.deadline, self.request = stream, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.stream:
            if monotonic() > self.deadline:
                raise httpx.ReadTimeout("the answer took longer than the read timeout", request=self.request)
            yield chunk

    def close(self) -> None:
        self.stream.close()
