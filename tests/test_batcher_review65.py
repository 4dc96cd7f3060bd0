"""`safealign serve`'s batcher found in review: a failed generate call failed every request batched with it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import logging
import threading
import weakref

import httpx
import torch
from rich.console import Console
from rich.logging import RichHandler
from test_monitor import serve_in_thread
from test_serve import ask

from safealign.generation import Completion, SamplingParams
from safealign.serve import Batcher, create_app


class Activations:
    """Stands for the tensors a failing generate call held (a weakref tells whether they were freed)."""


class PickyEngine:
    """Fails any call holding a prompt in ``bad`` with ``error``, and any call of more than ``fits`` prompts with an
    out-of-memory error; records each call's prompts and whether the last failed call's locals were still alive."""

    batch_size = 8
    model = None
    precision = "fp32"

    def __init__(self, bad: tuple[str, ...] = (), error: Exception | None = None, fits: int = 64) -> None:
        self.bad, self.error, self.fits = bad, error, fits
        self.calls: list[list[str]] = []
        self.failed_locals: weakref.ref | None = None
        self.failed_locals_alive: list[bool] = []
        self.gate: threading.Event | None = None  # set: the first call waits for it

    def generate(self, prompts, params, cancelled=None):
        texts = [p[-1]["content"] for p in prompts]
        self.calls.append(texts)
        if self.failed_locals is not None:
            self.failed_locals_alive.append(self.failed_locals() is not None)
        if self.gate is not None and len(self.calls) == 1:
            self.gate.wait(10)
        if len(prompts) > self.fits or any(text in self.bad for text in texts):
            activations = Activations()  # a local of the failing frame, as decode_batch's KV cache is
            self.failed_locals = weakref.ref(activations)
            raise (
                self.error if len(prompts) <= self.fits else torch.cuda.OutOfMemoryError("CUDA out of memory")
            )
        return [
            Completion(i, k, f"ok:{text}", 1, 1, False)
            for i, text in enumerate(texts)
            for k in range(params.num_samples)
        ]


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def run_batch(engine: PickyEngine, texts: list[str], params: list[SamplingParams] | None = None):
    """Submit ``texts`` together (one batch); returns each one's answer text or error, and the batcher's stats."""

    async def scenario():
        batcher = Batcher(engine, max_batch=8, max_wait_ms=200)
        await batcher.start()
        asks = [
            batcher.submit(chat(t), p)
            for t, p in zip(texts, params or [SamplingParams()] * len(texts), strict=True)
        ]
        outcomes = await asyncio.gather(*asks, return_exceptions=True)
        await batcher.stop()
        return [o if isinstance(o, BaseException) else o[0].text for o in outcomes], batcher.stats.to_dict()

    return asyncio.run(scenario())


@contextlib.contextmanager
def no_gc():
    """Reference counts only: memory a cycle holds (a CUDA tensor too) waits for a gc pass a server may not run soon."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_an_engine_error_fails_only_the_request_at_fault_in_its_batch():
    """A RuntimeError (transformers on one odd prompt) failed all four requests batched together; only DataError was
    retried one by one."""
    engine = PickyEngine(bad=("bad",), error=RuntimeError("index out of range in self"))
    outcomes, _ = run_batch(engine, ["a", "b", "c", "bad"])
    assert outcomes[:3] == ["ok:a", "ok:b", "ok:c"], outcomes
    assert isinstance(outcomes[3], RuntimeError) and "index out of range" in str(outcomes[3])
    # Halved while it fails: the good half stays batched, and the bad request runs 3 times, not 4 (log2 4 + 1).
    assert engine.calls == [["a", "b", "c", "bad"], ["a", "b"], ["c", "bad"], ["c"], ["bad"]]


def test_an_out_of_memory_batch_is_answered_in_smaller_batches():
    engine = PickyEngine(fits=2)
    outcomes, _ = run_batch(engine, ["a", "b", "c", "d", "e"])
    assert outcomes == ["ok:a", "ok:b", "ok:c", "ok:d", "ok:e"]
    assert engine.calls == [["a", "b", "c", "d", "e"], ["a", "b", "c"], ["a", "b"], ["c"], ["d", "e"]]


def test_health_counts_every_engine_call_and_the_requests_it_was_given():
    """Counted as the module docstring says: a batch of 4 whose fourth fails makes 5 calls, a mean of 2.0. A request
    with n > 1 counts once, however many samples it asks for."""
    engine = PickyEngine(bad=("bad",), error=RuntimeError("boom"))
    _, stats = run_batch(engine, ["a", "b", "c", "bad"])
    assert [len(call) for call in engine.calls] == [4, 2, 2, 1, 1]
    assert stats == {"requests": 4, "engine_calls": 5, "mean_batch_size": 2.0}

    engine = PickyEngine(bad=("bad",), error=RuntimeError("boom"))
    params = [SamplingParams(), SamplingParams(num_samples=3), SamplingParams(), SamplingParams()]
    _, stats = run_batch(engine, ["a", "b", "c", "bad"], params)  # "b" runs apart: other params
    assert engine.calls == [["a", "c", "bad"], ["a", "c"], ["bad"], ["b"]]
    assert stats == {"requests": 4, "engine_calls": 4, "mean_batch_size": 1.75}


def test_a_failed_calls_memory_is_freed_before_its_batch_runs_again():
    """The rerun ran inside the `except` block: the error's traceback kept the failed call's frames, and with them an
    out-of-memory batch's activations, alive while the halves ran (so they ran out of memory too)."""
    engine = PickyEngine(fits=1)
    with no_gc():
        outcomes, _ = run_batch(engine, ["a", "b"])
    assert outcomes == ["ok:a", "ok:b"]
    assert engine.failed_locals_alive == [False, False]


def test_a_failed_requests_memory_is_not_held_by_the_error_it_is_answered_with():
    """The error set on a request's future and that future formed a cycle through the traceback: the failed call's
    locals lived until a gc pass, while the next batch generated."""
    engine = PickyEngine(bad=("bad",), error=torch.cuda.OutOfMemoryError("CUDA out of memory"))
    # As `safealign serve` logs: a Rich traceback reads each frame's f_locals, a copy that frame.clear() leaves.
    rich = RichHandler(console=Console(file=io.StringIO()), rich_tracebacks=True)
    logger = logging.getLogger("safealign.serve.batcher")
    logger.addHandler(rich)
    with no_gc(), contextlib.ExitStack() as stack:
        stack.callback(logger.removeHandler, rich)
        outcomes, _ = run_batch(
            engine, ["bad", "next"], [SamplingParams(max_new_tokens=1), SamplingParams(max_new_tokens=2)]
        )
    assert isinstance(outcomes[0], torch.cuda.OutOfMemoryError) and outcomes[1] == "ok:next"
    assert engine.calls == [["bad"], ["next"]] and engine.failed_locals_alive == [False]


def test_a_request_whose_client_left_during_a_failed_call_is_not_run_again():
    engine = PickyEngine(bad=("bad",), error=RuntimeError("boom"))
    engine.gate = threading.Event()

    async def scenario():
        batcher = Batcher(engine, max_batch=8, max_wait_ms=200)
        await batcher.start()
        asks = [
            asyncio.ensure_future(batcher.submit(chat(t), SamplingParams())) for t in ("a", "gone", "bad")
        ]
        while not engine.calls:
            await asyncio.sleep(0.01)
        asks[1].cancel()
        engine.gate.set()
        outcomes = await asyncio.gather(*asks, return_exceptions=True)
        await batcher.stop()
        return outcomes

    first, gone, bad = asyncio.run(scenario())
    assert (
        first[0].text == "ok:a" and isinstance(gone, asyncio.CancelledError) and isinstance(bad, RuntimeError)
    )
    assert engine.calls == [["a", "gone", "bad"], ["a"], ["bad"]]


def test_over_http_the_others_are_answered_and_the_one_at_fault_gets_a_500_naming_its_error():
    engine = PickyEngine(bad=("bad",), error=RuntimeError("index out of range in self"))

    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            bodies = [ask("good one"), ask("bad"), ask("good two")]
            return await asyncio.gather(*[client.post("/v1/chat/completions", json=body) for body in bodies])

    with serve_in_thread(create_app(engine, "picky", max_wait_ms=300)) as url:
        good, bad, other = asyncio.run(burst(url))
    assert good.status_code == other.status_code == 200, (good.text, other.text)
    assert good.json()["choices"][0]["message"]["content"] == "ok:good one"
    assert bad.status_code == 500 and "index out of range in self" in bad.json()["error"]["message"], bad.text
