"""`safealign serve`'s batcher found in review: an error outside its generate call's `try` ended the batcher's task
silently. The request of that batch and every later one waited forever, and /health still said ok."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from test_batcher_review65 import chat
from test_monitor import serve_in_thread
from test_serve import ask

from safealign.generation import Completion, SamplingParams
from safealign.serve import Batcher, create_app
from safealign.serve.batcher import BatcherDown, _Pending


class Stop(BaseException):
    """A BaseException of a library's own (as pytest's outcomes are): not an Exception."""


class ScriptedEngine:
    """Answers each call with the next of ``script`` (a function of the prompts and params; None: the right answer),
    the right answer once the script is spent. ``gate``, when given, holds the first call until it is set."""

    batch_size = 8
    model = None
    precision = "fp32"

    def __init__(self, *script) -> None:
        self.script = list(script)
        self.calls: list[list[str]] = []
        self.gate: threading.Event | None = None

    def generate(self, prompts, params, cancelled=None):
        texts = [p[-1]["content"] for p in prompts]
        self.calls.append(texts)
        if self.gate is not None and len(self.calls) == 1:
            self.gate.wait(10)
        answer = self.script.pop(0) if self.script else None
        if answer is not None:
            return answer(prompts, params)
        return [
            Completion(i, s, f"ok:{text}", 1, 1, False)
            for i, text in enumerate(texts)
            for s in range(params.num_samples)
        ]


def raising(error: BaseException):
    def answer(prompts, params):
        raise error

    return answer


async def outcome(batcher: Batcher, text: str, params: SamplingParams | None = None):
    """The answer's texts or the error; a request still waiting after 5 s is a test failure, not a hang."""
    try:
        answers = await asyncio.wait_for(batcher.submit(chat(text), params or SamplingParams()), 5)
    except TimeoutError:
        raise AssertionError(f"request {text!r} still waits after 5 s") from None
    except BaseException as error:  # noqa: BLE001 - the outcome under test
        return error
    return [c.text for c in answers]


async def started(max_batch: int = 8, *script) -> tuple[Batcher, ScriptedEngine]:
    engine = ScriptedEngine(*script)
    batcher = Batcher(engine, max_batch=max_batch, max_wait_ms=20)
    await batcher.start()
    return batcher, engine


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (lambda prompts, params: None, "returned NoneType, not Completions"),
        (lambda prompts, params: ["text"] * len(prompts), "a list holding str, not Completion"),
    ],
    ids=["None", "strings"],
)
def test_an_engine_answer_that_is_not_completions_fails_its_request_and_the_next_is_answered(answer, named):
    async def scenario():
        batcher, _ = await started(8, answer)
        first = await outcome(batcher, "first")
        later = await outcome(batcher, "later")
        await batcher.stop()
        return first, later, batcher.down

    first, later, down = asyncio.run(scenario())
    assert isinstance(first, RuntimeError) and named in str(first), first
    assert later == ["ok:later"] and down is None


@pytest.mark.parametrize(
    ("answer", "samples", "named"),
    [
        (  # prompt 1 left out: it was answered with no choices (a 200 without an answer)
            lambda prompts, params: [Completion(0, 0, "ok", 1, 1, False)],
            1,
            "0 completions for prompt 1 of a batch of 2, not the 1 asked (1 in all, not 2)",
        ),
        (  # shifted by one: prompt 1 was answered with prompt 0's answer
            lambda prompts, params: [Completion(i + 1, 0, "ok", 1, 1, False) for i in range(len(prompts))],
            1,
            "a completion of prompt 2 for a batch of 2 prompts",
        ),
        (  # n=2 asked, one given
            lambda prompts, params: [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))],
            2,
            "1 completions for prompt 0 of a batch of 2, not the 2 asked",
        ),
    ],
    ids=["prompt-left-out", "shifted", "samples-short"],
)
def test_an_engine_giving_the_wrong_completions_is_named_and_no_request_gets_them(answer, samples, named):
    async def scenario():
        batcher, engine = await started(8, answer)
        params = SamplingParams(num_samples=samples, temperature=0)
        outcomes = await asyncio.gather(outcome(batcher, "a", params), outcome(batcher, "b", params))
        later = await outcome(batcher, "later")
        await batcher.stop()
        return outcomes, later, engine.calls

    outcomes, later, calls = asyncio.run(scenario())
    assert calls[0] == ["a", "b"]  # one batch, failed as one: which answer is whose cannot be told
    for failed in outcomes:
        assert isinstance(failed, RuntimeError) and named in str(failed), failed
    assert later == ["ok:later"]


def test_one_groups_unreadable_answer_leaves_the_other_groups_of_its_batch_answered():
    async def scenario():
        batcher, engine = await started(8, lambda prompts, params: None)
        outcomes = await asyncio.gather(
            outcome(batcher, "broken", SamplingParams(max_new_tokens=1)),
            outcome(batcher, "other", SamplingParams(max_new_tokens=2)),
        )
        await batcher.stop()
        return outcomes, engine.calls

    (broken, other), calls = asyncio.run(scenario())
    assert calls == [["broken"], ["other"]]
    assert isinstance(broken, RuntimeError) and "NoneType" in str(broken) and other == ["ok:other"]


def test_a_bug_in_the_batchers_bookkeeping_fails_its_batch_and_the_loop_goes_on(monkeypatch):
    group_key = _Pending.group_key

    def buggy(pending: _Pending) -> str:
        if pending.messages[-1]["content"] == "bug":
            raise KeyError("a bookkeeping bug")
        return group_key(pending)

    monkeypatch.setattr(_Pending, "group_key", buggy)

    async def scenario():
        batcher, _ = await started(8)
        first = await outcome(batcher, "bug")
        later = await outcome(batcher, "later")
        await batcher.stop()
        return first, later

    first, later = asyncio.run(scenario())
    assert isinstance(first, RuntimeError) and "KeyError" in str(first) and "a bookkeeping bug" in str(first)
    assert later == ["ok:later"]


@pytest.mark.parametrize(
    "error",
    [SystemExit(3), KeyboardInterrupt(), Stop("a library's own"), asyncio.CancelledError()],
    ids=["SystemExit", "KeyboardInterrupt", "own", "CancelledError"],
)
def test_an_engine_base_exception_fails_waiting_and_later_requests_fast_and_says_down(error):
    """SystemExit and KeyboardInterrupt stopped the event loop (the whole server, a plain 500 to the client); any
    other BaseException, or a CancelledError the engine raised, ended the batcher's task alone: requests waited."""

    async def scenario():
        batcher, engine = await started(1, raising(error))
        engine.gate = threading.Event()
        generating = asyncio.ensure_future(outcome(batcher, "generating"))
        while not engine.calls:
            await asyncio.sleep(0.01)
        queued = asyncio.ensure_future(outcome(batcher, "queued"))  # max_batch 1: waits for the next batch
        await asyncio.sleep(0.05)
        engine.gate.set()
        outcomes = [await generating, await queued, await outcome(batcher, "later")]
        down = batcher.down
        await batcher.stop()
        await batcher.start()  # a restart answers again
        again = await outcome(batcher, "again")
        await batcher.stop()
        return outcomes, down, again, batcher.down, engine.calls

    outcomes, down, again, down_after_restart, calls = asyncio.run(scenario())
    assert calls[0] == ["generating"]
    for failed in outcomes:
        assert isinstance(failed, BatcherDown) and str(failed) == down, failed
    assert down.startswith(f"its request batcher stopped on {type(error).__name__}")
    assert again == ["ok:again"] and down_after_restart is None


def test_over_http_a_dead_batcher_is_a_503_for_every_request_and_health_says_down():
    engine = ScriptedEngine(raising(SystemExit(3)))
    with serve_in_thread(create_app(engine, "scripted", max_wait_ms=1)) as url:
        first = httpx.post(f"{url}/v1/chat/completions", json=ask("first"), timeout=5)
        later = httpx.post(f"{url}/v1/chat/completions", json=ask("later"), timeout=5)
        health = httpx.get(f"{url}/health", timeout=5)
    for answer in (first, later):
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1", answer.text
        assert "its request batcher stopped on SystemExit: 3" in answer.json()["error"]["message"]
    assert health.status_code == 503 and health.json()["status"] == "down", health.text
    assert "SystemExit: 3" in health.json()["reason"] and health.json()["model"] == "scripted"
    assert engine.calls == [["first"]]


def test_over_http_a_wrong_number_of_completions_is_a_500_naming_it():
    """It was a 200 with no choices, and usage of 0 tokens."""
    engine = ScriptedEngine(lambda prompts, params: [])
    with serve_in_thread(create_app(engine, "scripted", max_wait_ms=1)) as url:
        first = httpx.post(f"{url}/v1/chat/completions", json=ask("first"), timeout=5)
        later = httpx.post(f"{url}/v1/chat/completions", json=ask("later"), timeout=5)
        health = httpx.get(f"{url}/health", timeout=5)
    assert first.status_code == 500, first.text
    assert "0 completions for prompt 0 of a batch of 1, not the 1 asked" in first.json()["error"]["message"]
    assert later.status_code == 200 and later.json()["choices"][0]["message"]["content"] == "ok:later"
    assert health.status_code == 200 and health.json()["status"] == "ok"
