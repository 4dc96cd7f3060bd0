"""`safealign serve` found in review: batching waits, an app served twice, a stop's count, options checked after a load."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest
from test_serve import UntilCancelledEngine, ask

from safealign.generation import Completion, SamplingParams
from safealign.serve import Batcher, ServerStopping, create_app

CHAT = [{"role": "user", "content": "q"}]


class TimedGateEngine:
    """Records when each generate call starts; the first call holds until ``release`` is set (or 10 s pass)."""

    batch_size = 4
    model = None
    precision = "fp32"

    def __init__(self) -> None:
        self.started: list[float] = []
        self.release = threading.Event()

    def generate(self, prompts, params, cancelled=None):
        self.started.append(time.monotonic())
        if len(self.started) == 1:
            self.release.wait(10)
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def test_a_request_that_queued_behind_a_batch_does_not_wait_max_wait_again():
    """The batch deadline was counted from when the batcher took its first request off the queue: one that arrived
    while the last batch generated, and had waited longer than max_wait_ms already, waited max_wait_ms more."""

    async def scenario() -> tuple[float, float]:
        engine = TimedGateEngine()
        batcher = Batcher(engine, max_batch=2, max_wait_ms=1000)
        await batcher.start()
        # two requests fill the batch (max_batch 2): it generates at once, held by the gate
        first = [asyncio.ensure_future(batcher.submit(CHAT, SamplingParams())) for _ in range(2)]
        while not engine.started:
            await asyncio.sleep(0.01)
        queued = asyncio.ensure_future(batcher.submit(CHAT, SamplingParams()))
        await asyncio.sleep(1.1)  # longer than max_wait_ms since "queued" arrived
        released = time.monotonic()
        engine.release.set()
        await asyncio.gather(*first, queued)
        await batcher.stop()
        return released, engine.started[1]

    released, second_started = asyncio.run(scenario())
    assert second_started - released < 0.5, (
        f"the queued request waited {second_started - released:.2f} s more"
    )


class FastEngine(TimedGateEngine):
    def generate(self, prompts, params, cancelled=None):
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def test_an_app_served_twice_answers_in_its_second_run():
    """stop() shut the generate thread down and start() did not start another: an app whose lifespan ran twice (two
    TestClient sessions on one app) answered every request of the second with a 500."""
    from fastapi.testclient import TestClient

    app = create_app(FastEngine(), "fake", max_wait_ms=1)
    for _ in range(2):
        with TestClient(app) as client:
            answer = client.post("/v1/chat/completions", json=ask("hi"))
            assert answer.status_code == 200, answer.text


class EndRecordingEngine(UntilCancelledEngine):
    """Generates until its rows are cancelled (or 10 s pass); records when each call returns."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[float] = []

    def generate(self, prompts, params, cancelled=None):
        try:
            return super().generate(prompts, params, cancelled)
        finally:
            self.ended.append(time.monotonic())


def test_a_stopped_batcher_gives_up_what_it_generates_and_refuses_later_requests():
    """stop() left the generating requests pending: their generation ran on to its end beside a restarted batcher's, and
    a request submitted after stop() waited forever on a queue nothing read."""
    engine = EndRecordingEngine()

    async def scenario() -> float:
        batcher = Batcher(engine, max_batch=4, max_wait_ms=1)
        await batcher.start()
        asked = asyncio.ensure_future(batcher.submit(CHAT, SamplingParams()))
        while not engine.prompts:
            await asyncio.sleep(0.01)
        stopped = time.monotonic()
        await batcher.stop()
        # it was left waiting forever
        await asyncio.wait_for(asyncio.gather(asked, return_exceptions=True), 2)
        with pytest.raises(RuntimeError, match="not running"):
            await asyncio.wait_for(batcher.submit(CHAT, SamplingParams()), 2)
        return stopped

    stopped = asyncio.run(scenario())
    deadline = time.monotonic() + 2
    while not engine.ended and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.ended and engine.ended[0] - stopped < 2, "the generation ran on after stop()"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--precision", "fp33"], "--precision must be 'auto', 'bf16' or 'fp32', got 'fp33'"),
        (["--max-tokens", "300", "--max-tokens-limit", "200"], "--max-tokens 300"),
    ],
)
def test_serve_refuses_a_bad_precision_or_default_before_the_model_loads(monkeypatch, options, named):
    """Both were refused only after the model had loaded (minutes for a large checkpoint): the engine checked the
    precision, create_app the default max_tokens against the limit."""
    from typer.testing import CliRunner

    import safealign.models
    from safealign.cli.main import app as cli

    def must_not_run(*args, **kwargs):
        raise AssertionError("the model loaded before the options were checked")

    monkeypatch.setattr(safealign.models, "load_model", must_not_run)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["serve", "tiny", "--port", str(port), *options])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and named in said and "Traceback" not in said, said


class SecondGroupUntilCancelled(TimedGateEngine):
    """Answers greedy groups at once; a sampled group generates until its rows are cancelled (or 10 s pass)."""

    def generate(self, prompts, params, cancelled=None):
        deadline = time.monotonic() + 10
        while params.temperature and not all(cancelled(i) for i in range(len(prompts))):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def test_a_closing_batcher_counts_only_the_requests_it_leaves_unanswered(caplog):
    """close() logged every request of the batch it interrupted as not answered, those of its groups already answered
    too: "4 requests not answered" where 3 had their answer and 1 got the 503."""
    caplog.set_level(logging.WARNING, logger="safealign.serve.batcher")

    async def scenario() -> None:
        batcher = Batcher(SecondGroupUntilCancelled(), max_batch=8, max_wait_ms=50)
        await batcher.start()
        answered = [asyncio.ensure_future(batcher.submit(CHAT, SamplingParams())) for _ in range(3)]
        generating = asyncio.ensure_future(batcher.submit(CHAT, SamplingParams(temperature=0.5)))
        await asyncio.gather(*answered)
        batcher.close("test stop")
        with pytest.raises(ServerStopping):
            await generating
        await batcher.stop()

    asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if "not answered" in r.getMessage()]
    assert said == ["server stopping: 1 requests not answered (test stop)"], said


def test_streamed_chunks_carry_a_null_usage_until_the_last_when_usage_is_asked() -> None:
    # OpenAI: with stream_options.include_usage every chunk has "usage": null, the last one the counts
    import json

    from safealign.serve.protocol import stream_events

    def chunks(usage):  # noqa: ANN001, ANN202
        events = [e for e in b"".join(stream_events("m", ["Hi there."], ["stop"], usage)).split(b"\n\n") if e]
        return [json.loads(e[6:]) for e in events if e != b"data: [DONE]"]

    counted = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    with_usage = chunks(counted)
    assert all("usage" in c and c["usage"] is None for c in with_usage[:-1]) and with_usage[-1]["usage"] == counted
    assert all("usage" not in c for c in chunks(None))
