"""Tests that kill the mutants of the monitor and serve code that survived the rest of the suite: the rates the
dashboard and /metrics show, the flagged and exported exchanges, eval-run baselines, purge and the judge queue, the
exchange writer, OpenAI request validation and the batcher. Each test names the one-token change it guards against
and the wrong number (or the wrong answer) that change would give."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from test_monitor import rows_of, serve_in_thread
from test_serve import SystemRefusingEngine, ask

from safealign.generation import Completion, SamplingParams
from safealign.monitor import queries
from safealign.monitor.metrics import MonitorMetrics
from safealign.monitor.store import Store, eval_runs, exchanges, judge_queue, utcnow, verdicts
from safealign.monitor.writer import ExchangeWriter
from safealign.serve import Batcher, create_app
from safealign.serve.protocol import ForwardedChatRequest, RequestError, read_limited_body, validate_chat


def judged(harmful: bool = False, refused: bool = False, request_harmful: bool = False, **extra: Any) -> dict:
    """An exchange row the judges have read."""
    return {
        "status": "judged",
        "harmful": harmful,
        "refused": refused,
        "request_harmful": request_harmful,
        **extra,
    }


def queued() -> dict:
    """An exchange row waiting for the judges."""
    return {"status": "queued", "queue": True}


# --- queries: rates, totals, flagged, export, series, eval runs, alerts ---


def test_judged_rates_count_the_newest_judged_rows_and_over_refusal_only_benign_requests(tmp_path) -> None:
    # ascending order reads the 5 old refusals (refusal 1.0); no status filter counts the queued row; benign
    # by `harmful` instead of `request_harmful` reads over-refusal 3/4; dividing by all rows reads it 2/4
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([judged(refused=True)] * 5)  # older than the window
    store.insert_exchanges(
        [
            judged(refused=True),
            judged(),
            judged(refused=True, request_harmful=True),
            judged(refused=True, request_harmful=True, harmful=True),
            {"status": "queued", "queue": True, "refused": True, "harmful": True},
        ]
    )
    assert queries.judged_rates(store, 4) == {
        "samples": 4,
        "benign_samples": 2,
        "harmful_rate": 0.25,
        "refusal_rate": 0.75,
        "over_refusal_rate": 0.5,
    }
    # an alert on over-refusal counts its benign requests as samples, not every judged exchange
    assert queries.metric_rate(store, "over_refusal_rate", 4) == (0.5, 2)
    assert queries.metric_rate(store, "refusal_rate", 4) == (0.75, 4)


def test_upstream_error_rate_counts_the_error_status_and_every_5xx(tmp_path) -> None:
    # `> 500` misses the 500; dropping the status clause misses the upstream_error row: both read 0.25
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [
            {"status": "upstream_error"},
            {"status": "judged", "upstream_status": 500},
            {"status": "judged", "upstream_status": 499},
            {"status": "judged", "upstream_status": 200},
        ]
    )
    assert queries.upstream_error_rate(store, 4) == {"samples": 4, "upstream_error_rate": 0.5}


def test_totals_count_blocked_answers_apart_from_harmful_ones(tmp_path) -> None:
    # summing `harmful` into the blocked card reads 1 blocked
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([judged(harmful=True), judged(blocked=True), judged(blocked=True), queued()])
    assert queries.totals(store) == {
        "exchanges": 4,
        "judged": 3,
        "queued": 1,
        "judge_failed": 0,
        "blocked": 2,
        "harmful": 1,
        "upstream_errors": 0,
    }


def test_flagged_exchanges_include_blocked_ones_newest_first(tmp_path) -> None:
    # flagging only `harmful` hides the blocked answer a person should review
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges([judged(), judged(blocked=True), judged(harmful=True), judged()])
    assert [r["id"] for r in queries.flagged_exchanges(store)] == [ids[2], ids[1]]


def test_export_pages_after_since_id_and_filters_flagged(tmp_path) -> None:
    # `>= since_id` exports the last row of the previous page again; ignoring flagged_only exports every row
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges([judged(), judged(blocked=True), judged(harmful=True), judged()])
    assert [r["id"] for r in queries.export_exchanges(store, since_id=ids[1])] == ids[2:]
    assert [r["id"] for r in queries.export_exchanges(store, flagged_only=True)] == ids[1:3]


def test_rate_series_places_each_point_in_the_middle_of_its_slice(tmp_path) -> None:
    # `index + 1` puts each point at its slice's end: 1 s and 24 s after the first exchange over 24 one-second slices
    store = Store(f"sqlite:///{tmp_path}/m.db")
    start = dt.datetime(2026, 12, 1, 12, 0, 0)
    store.insert_exchanges([judged(created_at=start), judged(created_at=start + dt.timedelta(seconds=24))])
    point = {"n": 1, "harmful_rate": 0.0, "refusal_rate": 0.0, "over_refusal_rate": 0.0}
    assert queries.rate_series(store, buckets=24) == [
        {"time": start + dt.timedelta(seconds=0.5), **point},
        {"time": start + dt.timedelta(seconds=23.5), **point},
    ]


def add_run(store: Store, limit: int | None) -> int:
    """An eval run of upstream u, model m over the harmful suite with ``--limit limit``."""
    return store.add_eval_run(
        upstream="u",
        model="m",
        suites=["harmful"],
        item_limit=limit,
        summary={"harmful_refusal_rate": 0.5},
        regression=False,
        notes="",
    )


def test_previous_eval_run_is_the_one_with_the_same_limit(tmp_path) -> None:
    # ignoring the limit compares an 8-item run with a full one; ignoring `first` measures a slow decline
    # against the latest run instead of the first
    store = Store(f"sqlite:///{tmp_path}/m.db")
    first, full, latest = add_run(store, 8), add_run(store, None), add_run(store, 8)
    assert queries.previous_eval_run(store, "u", "m", ["harmful"], 8)["id"] == latest
    assert queries.previous_eval_run(store, "u", "m", ["harmful"], 8, first=True)["id"] == first
    assert queries.previous_eval_run(store, "u", "m", ["harmful"], None)["id"] == full


def test_recent_eval_runs_are_oldest_first(tmp_path) -> None:
    # without the reversal the dashboard's trend runs backwards
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = [add_run(store, 8) for _ in range(3)]
    assert [r["id"] for r in queries.recent_eval_runs(store)] == ids


def test_fired_alert_counts_count_only_fired_alerts(tmp_path) -> None:
    # without the `kind == "fired"` filter a resolved alert counts as a second firing
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.add_alert(rule="r", kind="fired", message="x")
    store.add_alert(rule="r", kind="resolved", message="x")
    assert queries.fired_alert_counts(store) == {"r": 1}


# --- metrics ---


def gauge_values(text: str) -> dict[str, float]:
    """Sample name -> value of a Prometheus text exposition without labels."""
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in samples}


def test_metrics_refresh_sets_each_gauge_from_its_own_number(tmp_path) -> None:
    # five different numbers, so a gauge set from another's value shows (over-refusal from refusal_rate,
    # judge_failed from the backlog)
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [
            judged(refused=True, request_harmful=True),
            judged(refused=True),
            judged(),
            judged(),
            judged(harmful=True, request_harmful=True),
        ]
    )
    store.insert_exchanges([queued()] * 3 + [{"status": "judge_failed"}])
    metrics = MonitorMetrics()
    metrics.refresh(store)
    values = gauge_values(metrics.render().decode())
    names = ["harmful_rate", "refusal_rate", "over_refusal_rate", "judge_backlog", "judge_failed"]
    assert {name: values[f"safealign_monitor_{name}"] for name in names} == pytest.approx(
        {
            "harmful_rate": 0.2,
            "refusal_rate": 0.4,
            "over_refusal_rate": 1 / 3,
            "judge_backlog": 3,
            "judge_failed": 1,
        }
    )


# --- store: purge, judge queue, complete ---


def test_purge_drops_old_exchanges_with_their_verdicts_and_queue_rows(tmp_path) -> None:
    # skipping the verdicts delete leaves verdict rows of deleted exchanges
    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = utcnow() - dt.timedelta(days=40)
    ids = store.insert_exchanges([queued() | {"created_at": old}, judged(created_at=old), queued()])
    with store.engine.begin() as conn:
        conn.execute(
            verdicts.insert(),
            [{"exchange_id": ids[1], "role": "harm", "judge": "j", "label": "x", "created_at": old}],
        )
    assert store.purge(retention_days=30) == 2
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(verdicts)).scalar() == 0
        assert list(conn.execute(sa.select(judge_queue.c.exchange_id)).scalars()) == [ids[2]]
    assert [r["id"] for r in rows_of(store)] == [ids[2]]


def test_claim_leases_the_oldest_queued_exchanges_first(tmp_path) -> None:
    # newest first would starve the oldest exchanges while traffic lasts
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges([queued()] * 4)
    assert store.last_queued() == ids[-1]
    assert [r["id"] for r in store.claim(2)] == ids[:2]
    assert store.leased()[0] == 2


def test_complete_stores_request_harmful_apart_from_harmful(tmp_path) -> None:
    # binding request_harmful to the answer's `harmful` reads a harmful request as benign (over-refusal)
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([queued()])
    (row,) = store.claim(1)
    verdict = {"role": "harm", "judge": "j", "label": "safe", "score": 0.0, "explanation": ""}
    result = {"exchange_id": row["id"], "harmful": False, "refused": True, "request_harmful": True}
    store.complete([result | {"verdicts": [verdict]}], lease=row["lease"])
    (stored,) = rows_of(store)
    assert (stored["status"], stored["harmful"], stored["refused"], stored["request_harmful"]) == (
        "judged",
        False,
        True,
        True,
    )


def test_complete_with_no_verdict_rows_marks_the_exchange_judged(tmp_path) -> None:
    # an empty verdict list ran INSERT ... DEFAULT VALUES: IntegrityError on verdicts.exchange_id, the batch lost
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([queued()])
    (row,) = store.claim(1)
    result = {"exchange_id": row["id"], "harmful": False, "refused": False, "request_harmful": False}
    assert store.complete([result | {"verdicts": []}], lease=row["lease"]) == ({row["id"]}, [])
    assert [r["status"] for r in rows_of(store)] == ["judged"]
    assert store.backlog() == 0
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(verdicts)).scalar() == 0


def test_complete_does_not_fail_rows_another_worker_now_owns(tmp_path) -> None:
    # failing every id given marks judge_failed an exchange the other worker is judging
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([queued()])
    (late,) = store.claim(1, lease_s=-1)  # its lease is already over
    store.claim(1)  # another worker takes it
    assert store.complete([], failed=[late["id"]], lease=late["lease"]) == (set(), [])
    assert store.judge_failures() == 0


# --- writer ---


def test_writer_settles_the_rest_of_a_batch_when_one_waiter_left(tmp_path) -> None:
    # without skipping a cancelled future (its client left) settling raises on it and the rest wait forever
    store = Store(f"sqlite:///{tmp_path}/m.db")
    writer = ExchangeWriter(store)
    writer.start()

    async def write_three() -> list[int]:
        tasks = [asyncio.create_task(writer.write({"prompt": f"p{i}", "status": "queued"})) for i in range(3)]
        await asyncio.sleep(0)  # all three are in this tick's batch
        tasks[0].cancel()
        return await asyncio.wait_for(asyncio.gather(*tasks[1:]), 5)

    ids = asyncio.run(write_three())
    writer.stop()
    by_prompt = {r["prompt"]: r["id"] for r in rows_of(store)}
    assert ids == [by_prompt["p1"], by_prompt["p2"]]


# --- serve protocol ---

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "field,bad",
    [
        ("temperature", 2.5),
        ("top_p", 0.0),
        ("max_tokens", 0),
        ("max_completion_tokens", 0),
        ("n", 17),
        ("seed", 2**63),
        ("stop", ["a", ""]),
    ],
)
def test_out_of_range_fields_are_a_400_naming_the_field(field: str, bad: Any) -> None:
    # each bound moved by one (le=3, ge=0, le=17, le=2**63) or the empty stop in a list let through
    with pytest.raises(RequestError) as error:
        validate_chat({"messages": MESSAGES, field: bad})
    assert (error.value.status, error.value.param) == (400, field)


def test_bounds_are_inclusive_where_openai_says() -> None:
    chat = validate_chat(
        {"messages": MESSAGES, "temperature": 2, "top_p": 1, "n": 16, "seed": 2**63 - 1, "max_tokens": 1}
    )
    assert chat.samples == 16  # `return 1` answers one sample for n=16
    assert validate_chat({"messages": MESSAGES, "n": None}).samples == 1
    assert validate_chat({"messages": MESSAGES, "n": 3}, ForwardedChatRequest).samples == 3


def test_a_stop_string_is_one_stop_not_its_characters() -> None:
    # list("END") stops at any of E, N, D
    assert validate_chat({"messages": MESSAGES, "stop": "END"}).stop_list() == ["END"]
    assert validate_chat({"messages": MESSAGES, "stop": ["a", "b"]}).stop_list() == ["a", "b"]
    assert validate_chat({"messages": MESSAGES}).stop_list() == []


def test_stream_options_without_stream_is_a_400() -> None:
    # without the check a request asking for a streamed usage chunk gets a plain answer, silently
    with pytest.raises(RequestError) as error:
        validate_chat({"messages": MESSAGES, "stream_options": {"include_usage": True}})
    assert (error.value.status, error.value.param) == (400, "stream_options")


def test_a_body_declared_at_the_limit_is_read() -> None:
    # `>= max_bytes` refuses a body of exactly the limit with a 413
    class FourBytes:
        headers = {"content-length": "4"}

        async def stream(self):
            yield b"abcd"

    assert asyncio.run(read_limited_body(FourBytes(), 4)) == b"abcd"


# --- batcher ---


class EchoEngine:
    """Answers each prompt with its own text; records each call's prompts."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.calls: list[list[str]] = []

    def generate(self, prompts, params, cancelled=None):
        self.calls.append([p[-1]["content"] for p in prompts])
        return [
            Completion(i, sample, p[-1]["content"], 1, 1, False)
            for i, p in enumerate(prompts)
            if not (cancelled and cancelled(i))
            for sample in range(params.num_samples)
        ]


def ask_batcher(
    engine: EchoEngine, questions: list[str], params: SamplingParams, seeded: bool = False
) -> list:
    """Submit every question at once; returns each one's completions."""

    async def burst() -> list:
        batcher = Batcher(engine, max_wait_ms=200)
        await batcher.start()
        chats = [[{"role": "user", "content": question}] for question in questions]
        answers = await asyncio.gather(*[batcher.submit(chat, params, seeded=seeded) for chat in chats])
        await batcher.stop()
        return answers

    return asyncio.run(burst())


def test_each_request_gets_its_own_answer_and_batches_stay_within_max_batch() -> None:
    # without the max_batch bound all five go to the engine at once
    engine = EchoEngine(batch_size=2)
    questions = [f"q{i}" for i in range(5)]
    answers = ask_batcher(engine, questions, SamplingParams(max_new_tokens=4))
    assert [[c.text for c in answer] for answer in answers] == [[q] for q in questions]
    assert max(map(len, engine.calls)) == 2
    assert sorted(q for call in engine.calls for q in call) == questions


def test_seeded_sampled_requests_run_alone() -> None:
    # batched, a seeded answer would depend on the requests that shared its batch
    engine = EchoEngine(batch_size=8)
    params = SamplingParams(max_new_tokens=4, temperature=0.8, seed=3)
    ask_batcher(engine, ["q0", "q1", "q2"], params, seeded=True)
    assert sorted(engine.calls) == [["q0"], ["q1"], ["q2"]]


class BatchSizeRecordingEngine(SystemRefusingEngine):
    """SystemRefusingEngine that records the size of each batch it is given, refused or not."""

    def __init__(self) -> None:
        super().__init__()
        self.batch_sizes: list[int] = []

    def generate(self, prompts, params, cancelled=None):
        self.batch_sizes.append(len(prompts))
        return super().generate(prompts, params, cancelled)


def test_a_refused_conversation_batched_with_one_other_fails_only_itself() -> None:
    # `len(group) > 2` does not split a batch of two: the first request gets the other's 400 and the second hangs
    engine = BatchSizeRecordingEngine()

    async def burst(url: str) -> list[httpx.Response]:
        refused = ask("hi") | {
            "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "bad"}]
        }
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            return await asyncio.gather(
                *[client.post("/v1/chat/completions", json=body) for body in (ask("good"), refused)]
            )

    app = create_app(engine, "refusing", max_wait_ms=300)  # both in one batch
    with serve_in_thread(app) as url:
        good, bad = asyncio.run(burst(url))
    assert good.status_code == 200 and good.json()["choices"][0]["message"]["content"] == "ok", good.text
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "messages", bad.text
    assert engine.batch_sizes == [2, 1, 1]  # refused together, then one at a time
    assert engine.prompts == ["good"]


def test_texts_longer_than_their_column_are_cut_not_refused(tmp_path) -> None:
    # SQLite ignores VARCHAR lengths, PostgreSQL refused the row: a 250-character model got a 503 and lost its answer
    store = Store(f"sqlite:///{tmp_path}/m.db")
    long_model = "m" * 250
    (exchange_id,) = store.insert_exchanges(
        [queued() | {"model": long_model, "request": {"model": long_model}}]
    )
    (row,) = store.claim(1)
    verdict = {"role": "harm", "judge": "j" * 150, "label": "safe", "score": 0.0, "explanation": ""}
    result = {"exchange_id": exchange_id, "harmful": False, "refused": False, "request_harmful": False}
    assert store.complete([result | {"verdicts": [verdict]}], lease=row["lease"]) == ({exchange_id}, [])
    run_id = store.add_eval_run(
        upstream="u" * 600,
        model=long_model,
        suites=["harmful"],
        item_limit=8,
        summary={},
        regression=False,
        notes="",
    )
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(exchanges.c.model, exchanges.c.request)).one()
        judge = conn.execute(sa.select(verdicts.c.judge)).scalar_one()
        run = conn.execute(
            sa.select(eval_runs.c.model, eval_runs.c.upstream).where(eval_runs.c.id == run_id)
        ).one()
    assert (
        stored.model == "m" * 200 and stored.request["model"] == long_model
    )  # the whole value kept in the request
    assert judge == "j" * 100 and run.model == "m" * 200 and run.upstream == "u" * 500
