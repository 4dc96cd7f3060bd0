"""Request batching: requests that arrive within a few milliseconds share one ``engine.generate`` call.

A CPU or GPU decodes a batch of 16 prompts in little more time than one, so under concurrent load
batching multiplies throughput. The batcher waits at most ``max_wait_ms`` after the first request of a
batch arrived (the latency it trades for that; one that queued while the last batch ran has waited
already), groups the waiting requests by sampling parameters (one ``generate`` call takes one
:class:`SamplingParams`) and runs each group in a single worker thread, so the event loop keeps
accepting requests while the model runs and the model never runs twice at once.

That thread is a daemon: a stopping server does not wait for a long generation to end (a
ThreadPoolExecutor's threads are joined at exit, so SIGTERM waited out every queued answer). A
request whose client left before its batch started is dropped; one whose client leaves while it
generates leaves the batch at the next decoding step (``GenerationEngine.generate(cancelled=...)``),
so the others finish sooner and a long answer nobody waits for stops. A stopping server first closes the
batcher (:meth:`Batcher.close`): every request still queued or generating fails with :class:`ServerStopping`,
which the app answers with a 503 its client can retry, and the generating ones leave their batch the same way.

A generate call that fails runs again as two halves of its batch, halved again while they fail, so a request at
fault fails alone (a conversation the chat template refuses: the app answers a 400; a prompt that breaks the model:
a 500 naming the error) and the others get their answers; after an out-of-memory error the halves may fit.

``/health`` counts (:class:`BatcherStats`): ``requests``, the requests submitted, whatever became of them;
``engine_calls``, every ``engine.generate`` call, failed ones and their reruns included; ``mean_batch_size``, the
requests per call, each call counting the requests it was given. A batch of 4 whose fourth request fails makes 5
calls (4, then 2 + 2, then 1 + 1): a mean of 2.0 where a clean run shows 4.0.

A batch the batcher cannot answer (an engine that returns anything but ``num_samples`` completions per prompt, a bug of
its own) fails its requests with an error naming why (a 500), and the next batch runs. Should its task end all the same
(a ``BaseException`` from the engine: ``SystemExit``, ``KeyboardInterrupt``), every request waiting and every later one
fails with :class:`BatcherDown` (a 503) and :attr:`Batcher.down` says why, for ``/health``: none waits forever.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import queue
import threading
import time
import traceback
from concurrent.futures import Executor, Future
from dataclasses import asdict, dataclass, field
from typing import Any

from safealign.decoding import is_sampled
from safealign.errors import DataError, SafealignError
from safealign.generation import Completion, GenerationEngine, SamplingParams

log = logging.getLogger(__name__)


class ServerStopping(Exception):
    """The server is stopping: the request was not (fully) generated and may be retried elsewhere or later."""


class BatcherDown(ServerStopping):
    """The batcher's task ended on an error: this server answers no request until it restarts (retry elsewhere)."""


class TemplateVariablesRefused(DataError):
    """The chat template refuses a request's ``chat_template_kwargs``, not its messages (the field a 400 names)."""


@dataclass
class _Pending:
    messages: list[dict[str, str]]
    params: SamplingParams
    future: asyncio.Future
    seeded: bool = False
    template_variables: dict[str, Any] | None = None  # the request's chat_template_kwargs
    arrived: float = field(default_factory=time.monotonic)

    def group_key(self) -> str:
        """Requests with the same key share a generate call. The rows of a batch draw from one random generator, so
        a sampled request that names a seed runs alone (the same request and seed give the same answer, whatever else
        arrives with it); unseeded sampled requests share a call under the first one's random seed, and greedy
        requests, where no seed matters, share one whatever seeds they name. One call renders every prompt with one
        set of chat template variables."""
        if is_sampled(self.params.temperature) and self.seeded:
            return f"seeded:{id(self)}"
        return json.dumps([asdict(self.params) | {"seed": None}, self.template_variables], sort_keys=True)


@dataclass
class BatcherStats:
    """Counters a test or an operator reads to see batching at work (what each counts: the module docstring). Running
    totals, not a list of batch sizes: a server up for a month makes tens of millions of engine calls, and /health reads
    the mean on every probe."""

    requests: int = 0
    engine_calls: int = 0
    batched_requests: int = 0  # the requests of every engine call, summed

    def record_batch(self, size: int) -> None:
        self.engine_calls += 1
        self.batched_requests += size

    def to_dict(self) -> dict[str, Any]:
        mean = self.batched_requests / self.engine_calls if self.engine_calls else 0.0
        return {"requests": self.requests, "engine_calls": self.engine_calls, "mean_batch_size": round(mean, 2)}


class Batcher:
    """Collects concurrent requests into batched ``engine.generate`` calls.

    >>> batcher = Batcher(engine, max_wait_ms=5)                       # doctest: +SKIP
    >>> await batcher.start(); completions = await batcher.submit(messages, SamplingParams())  # doctest: +SKIP
    """

    def __init__(self, engine: GenerationEngine, max_batch: int | None = None, max_wait_ms: float = 5.0) -> None:
        self.engine = engine
        self.max_batch = max_batch or engine.batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.stats = BatcherStats()
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task | None = None
        # One thread: the model is used by one generate call at a time.
        self._executor = DaemonThreadExecutor("generate")
        self._collected: list[_Pending] = []
        self._closed: str | None = None
        self._down: str | None = None

    async def start(self) -> None:
        # Again after a stop (an app's lifespan run twice: two TestClient sessions): stop() shut the thread down.
        if self._executor.stopped:
            self._executor = DaemonThreadExecutor("generate")
        self._queue, self._closed, self._down = asyncio.Queue(), None, None
        self._task = asyncio.create_task(self._loop(), name="batcher")

    @property
    def down(self) -> str | None:
        """Why the batcher answers no more requests (its task ended on an error), for ``/health``; None while it runs."""
        return self._down

    async def stop(self) -> None:
        # Those generating: their rows leave the batch, so the model is free again for a restart.
        for pending in self._collected:
            pending.future.cancel()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)
        while self._queue is not None and not self._queue.empty():  # requests that never reached a batch
            self._queue.get_nowait().future.cancel()
        # A later submit is refused until start() (it waited forever on a queue nothing read).
        self._queue = None

    def close(self, reason: str) -> None:
        """Fail every request queued or generating, and every later one, with ``ServerStopping(reason)``.

        Call it on the event loop's thread. The generating ones leave their batch at its next decoding step.
        """
        self._closed = reason
        waiting = list(self._collected)
        while self._queue is not None and not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        # Not those of the batch already answered, nor those whose client left.
        unanswered = [pending for pending in waiting if not pending.future.done()]
        for pending in unanswered:
            pending.future.set_exception(ServerStopping(reason))
        if unanswered:
            log.warning("server stopping: %d requests not answered (%s)", len(unanswered), reason)

    async def submit(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        seeded: bool = False,
        template_variables: dict[str, Any] | None = None,
    ) -> list[Completion]:
        """Queue one chat; returns its ``params.num_samples`` completions once its batch has run. ``seeded``: the
        client named ``params.seed`` and expects the answer it gives alone (see ``_Pending.group_key``).
        ``template_variables``: extra variables its chat template is rendered with (see :func:`with_template_variables`)."""
        if self._queue is None:
            raise RuntimeError("the batcher is not running: start() was not awaited, or stop() was since")
        if self._closed is not None:
            raise ServerStopping(self._closed)
        if self._down is not None:
            raise BatcherDown(self._down)
        future = asyncio.get_running_loop().create_future()
        self.stats.requests += 1
        await self._queue.put(_Pending(messages, params, future, seeded, template_variables))
        return await future

    async def _collect(self) -> list[_Pending]:
        assert self._queue is not None
        batch = [await self._queue.get()]
        self._collected = batch  # what close() fails besides the queue, from now on (it grows while more arrive)
        # From its arrival, not from now: a request that queued while the last batch generated has waited already.
        deadline = batch[0].arrived + self.max_wait_s
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break
        # Whatever else is already waiting joins too (it arrived while the last batch ran).
        while len(batch) < self.max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                batch = await self._collect()
                try:
                    await self._answer(loop, batch)
                # A bug of the batcher's own: this batch fails, not every later one.
                except Exception as error:
                    _fail(batch, error)
                self._collected = []
        except BaseException as error:
            if isinstance(error, GeneratorExit) or (
                isinstance(error, asyncio.CancelledError) and asyncio.current_task().cancelling()
            ):
                raise  # stop(), or a loop closed with the task pending
            # Not raised on: a SystemExit or KeyboardInterrupt from the engine's thread would stop the event loop.
            self._die(error)

    async def _answer(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        if self._closed is not None:  # closed while the batch was collected: none of it is generated
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(ServerStopping(self._closed))
            return
        groups: dict[str, list[_Pending]] = {}
        for pending in batch:
            groups.setdefault(pending.group_key(), []).append(pending)
        for group in groups.values():
            # Done already: its client left, or the batcher closed while an earlier group generated.
            if group := [pending for pending in group if not pending.future.done()]:
                try:
                    await self._run_group(loop, group)
                # An engine's answer that cannot be handed out: the other groups run.
                except Exception as error:
                    _fail(group, error)

    def _die(self, error: BaseException) -> None:
        """The task ends: fail the requests it holds or that wait, and (``down``) every later one."""
        what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self._down = f"its request batcher stopped on {what}; nothing is answered until a restart (see log)"
        log.critical("the request batcher stopped: no request is answered until a restart", exc_info=error)
        waiting = list(self._collected)
        while self._queue is not None and not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for pending in waiting:
            if not pending.future.done():
                pending.future.set_exception(BatcherDown(self._down))

    async def _run_group(self, loop: asyncio.AbstractEventLoop, group: list[_Pending]) -> None:
        params = group[0].params
        engine = with_template_variables(self.engine, group[0].template_variables)
        self.stats.record_batch(len(group))
        try:
            # A client that left cancels its future (the request task awaiting it is cancelled), and a closing batcher
            # fails it: either way it is done before its answer. Read from the worker thread.
            given_up = functools.partial(
                engine.generate, [p.messages for p in group], params, cancelled=lambda index: group[index].future.done()
            )
            completions = await loop.run_in_executor(self._executor, given_up)
        except Exception as error:  # a failed call fails the request at fault, not the server nor its batch
            if len(group) == 1:
                if not group[0].future.done():
                    # The failed call's locals (an OOM's activations) go now, not at a later gc pass: the error, held
                    # by the future, and its traceback form a cycle with this frame, which holds the future. Before
                    # the log: a Rich traceback reads each frame's f_locals, a copy frame.clear() leaves (Python 3.11).
                    traceback.clear_frames(error.__traceback__)
                    if not isinstance(error, SafealignError):  # one that says what is wrong with the request
                        log.exception("generation failed for a request")
                    group[0].future.set_exception(error)
                return
            # As text: a record that keeps the error (pytest's, a buffering handler) would keep its frames' memory.
            log.warning("generation failed for a batch of %d (%s: %s); running it again in two halves",
                        len(group), type(error).__name__, str(error))
        else:
            # Checked, not trusted: a prompt without its answers was answered with none, one shifted with another's.
            by_prompt = _answers_by_prompt(completions, len(group), params.num_samples)
            for pending, answers in zip(group, by_prompt, strict=True):
                if not pending.future.done():
                    pending.future.set_result(answers)
            return
        # Each half is smaller, so this ends: a request runs in at most 1 + log2(batch size), rounded up, calls. Run
        # outside the `except` block, so the failed call's traceback, and the memory its frames hold (an OOM's
        # activations), is freed first.
        live = [pending for pending in group if not pending.future.done()]
        middle = (len(live) + 1) // 2
        for half in (live[:middle], live[middle:]):
            if half := [pending for pending in half if not pending.future.done()]:
                await self._run_group(loop, half)


def with_template_variables(engine: GenerationEngine, variables: dict[str, Any] | None) -> GenerationEngine:
    """``engine``, rendering its chat template with ``variables`` besides the messages (a request's
    ``chat_template_kwargs``): a shallow copy whose tokenizer adds them to each ``apply_chat_template`` call. The model,
    and everything else, is shared; ``engine`` itself is unchanged, so requests rendered without them run on beside it."""
    if not variables:
        return engine
    templated = copy.copy(engine)
    templated.tokenizer = _TemplateVariables(engine.tokenizer, variables)
    return templated


class _TemplateVariables:
    """A tokenizer whose ``apply_chat_template`` passes ``variables`` to the template; the rest is the tokenizer's."""

    def __init__(self, tokenizer: Any, variables: dict[str, Any]) -> None:
        self._wrapped, self._variables = tokenizer, variables

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any:
        from jinja2 import TemplateError, TemplateSyntaxError

        variables = json.dumps(self._variables, ensure_ascii=False)[:200]
        try:
            return self._wrapped.apply_chat_template(conversation, **(self._variables | kwargs))
        except TemplateSyntaxError:  # a broken template, whatever the request
            raise
        except TemplateError as error:
            # raise_exception(...) in the template: for a value of a variable (a reasoning_effort it does not know), or
            # for the conversation (a system turn), which the engine names with what to change.
            try:
                self._wrapped.apply_chat_template(conversation, **kwargs)
            except Exception:
                raise error from None
            raise TemplateVariablesRefused(
                f"the model's chat template refuses the request's chat_template_kwargs {variables}: "
                f"{error.message or error}; send the variables as it asks"
            ) from None
        except (TypeError, ValueError) as error:  # a variable of the wrong type: 'text' + 5 in the template
            raise TemplateVariablesRefused(
                f"the model's chat template failed on the request's chat_template_kwargs {variables}: "
                f"{type(error).__name__}: {error}; send each variable as the template expects it"
            ) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapped(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "_wrapped":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self._wrapped, name)


def _answers_by_prompt(completions: Any, prompts: int, samples: int) -> list[list[Completion]]:
    """Each prompt's ``samples`` completions, or a TypeError or ValueError saying how the engine's answer differs."""
    if not isinstance(completions, list | tuple):
        raise TypeError(f"the engine's generate() returned {type(completions).__name__}, not Completions")
    if wrong := [c for c in completions if not isinstance(c, Completion)]:
        raise TypeError(
            f"the engine's generate() returned a list holding {type(wrong[0]).__name__}, not Completion"
        )
    by_prompt: list[list[Completion]] = [[] for _ in range(prompts)]
    for completion in completions:
        if not 0 <= completion.prompt_index < prompts:
            raise ValueError(
                f"the engine's generate() returned a completion of prompt {completion.prompt_index} for a batch of "
                f"{prompts} prompts"
            )
        by_prompt[completion.prompt_index].append(completion)
    for index, answers in enumerate(by_prompt):
        if len(answers) != samples:
            raise ValueError(
                f"the engine's generate() returned {len(answers)} completions for prompt {index} of a batch of "
                f"{prompts}, not the {samples} asked ({len(completions)} in all, not {prompts * samples})"
            )
    return by_prompt


def _fail(requests: list[_Pending], error: Exception) -> None:
    """Answer the unanswered ``requests`` with an error naming ``error``, logged with its traceback."""
    log.error("could not answer a batch of %d requests", len(requests), exc_info=error)
    failure = f"the server could not answer this request's batch: {type(error).__name__}: {error}"
    for pending in requests:
        if not pending.future.done():
            pending.future.set_exception(RuntimeError(failure))


class DaemonThreadExecutor(Executor):
    """One daemon worker thread: the process may exit while it runs (a stop does not wait for a generate call)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._shutdown = False
        threading.Thread(target=self._work, name=name, daemon=True).start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot schedule new work after shutdown")
        future: Future = Future()
        self._jobs.put((future, fn, args, kwargs))
        return future

    @property
    def stopped(self) -> bool:
        return self._shutdown

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True
        if cancel_futures:
            while not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is not None:
                    job[0].cancel()
        self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(error)
