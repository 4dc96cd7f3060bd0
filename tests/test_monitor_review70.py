"""Review 70: the monitor's judge set from $SAFEALIGN_MONITOR_JUDGE, the gateway's answers the upstream filtered or the
gateway blocked, and its start-up line."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from test_monitor import HARMFUL_ANSWER, FakeJudges, _report, chat, gateway, rows, serve_in_thread
from typer.testing import CliRunner

from safealign.monitor import queries

JUDGE_ENV = "SAFEALIGN_MONITOR_JUDGE"


def said(result) -> str:
    return " ".join(result.output.split())


def judge_set() -> FakeJudges:
    """An import: judge factory for the tests below."""
    return FakeJudges()


# ---------------------------------------------------------------- $SAFEALIGN_MONITOR_JUDGE


def test_every_monitor_command_that_takes_a_judge_reads_it_from_the_variable(tmp_path) -> None:
    """`monitor judge` read $SAFEALIGN_MONITOR_JUDGE; the gateway and `monitor evaluate` did not: with it set, the gateway
    gave its worker "default" over it and `evaluate` graded with "default" while the traffic was judged with its set."""
    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/m.db"
    # A gateway that went past its options stops at this taken port (it never serves in a test).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        commands = (
            ["monitor", "--upstream", "http://127.0.0.1:9", "--db", db, "--worker", "none", "--port", port],
            ["monitor", "evaluate", "--once", "--upstream", "http://127.0.0.1:9", "--db", db],
            ["monitor", "judge", "--once", "--db", db],
        )
        for command in commands:
            result = CliRunner().invoke(cli, command, env={JUDGE_ENV: "imprt:a:b", "COLUMNS": "300"})
            assert result.exit_code == 2, (command, result.output)
            assert f"--judge (${JUDGE_ENV}) 'imprt:a:b':" in said(result), (command, said(result))
    assert not (tmp_path / "m.db").exists(), "a refused start makes no database"


def test_monitor_evaluate_grades_with_the_variables_judge_set_and_a_typed_judge_wins(
    tmp_path, monkeypatch
) -> None:
    import safealign.monitor.reevaluate as reevaluate
    from safealign.cli.main import app as cli

    graders: list[object] = []

    def runner(*args, judges, **kwargs):
        graders.append(judges)
        return _report(16, 0)

    monkeypatch.setattr(reevaluate, "default_runner", runner)
    command = ["monitor", "evaluate", "--once", "--upstream", "http://127.0.0.1:9", "--model", "m"]
    command += ["--db", f"sqlite:///{tmp_path}/m.db"]
    spec = "import:test_monitor_review70:judge_set"
    result = CliRunner().invoke(cli, command, env={JUDGE_ENV: spec, "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"judge {spec}" in said(result) and isinstance(graders[-1], FakeJudges), said(result)
    result = CliRunner().invoke(
        cli, [*command, "--judge", "default"], env={JUDGE_ENV: spec, "COLUMNS": "300"}
    )
    assert result.exit_code == 0 and "judge default" in said(result) and graders[-1] == "default", said(
        result
    )


# ---------------------------------------------------------------- answers the upstream filtered or the gateway blocked


def chunk(delta: dict, finish: str | None = None) -> bytes:
    event = {
        "id": "chatcmpl-upstream",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "served-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(event)}\n\n".encode()


def filtering_upstream() -> FastAPI:
    """A provider whose content filter withholds the answer to 'filter' (no text, finish_reason content_filter), cuts
    'cut' off after some text, and answers anything else harmfully (for the blocking gateway)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        text = "Sure. Step 1:" if prompt == "cut" else "" if prompt == "filter" else HARMFUL_ANSWER
        finish = "stop" if text == HARMFUL_ANSWER else "content_filter"
        if not body.get("stream"):
            message = {"role": "assistant", "content": text or None}
            return {
                "id": "chatcmpl-upstream",
                "object": "chat.completion",
                "created": 1,
                "model": "served-model",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            }
        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": word + " "}) for word in text.split()]
        events += [chunk({}, finish), b"data: [DONE]\n\n"]
        return StreamingResponse(iter(events), media_type="text/event-stream")

    return app


@pytest.mark.parametrize("blocking", [False, True])
def test_an_answer_the_upstreams_filter_withheld_is_stored_unjudged_not_as_an_evasive_answer(
    tmp_path, blocking
):
    """An answer with no text that ended with finish_reason content_filter was queued, and the judges read its empty
    text as evasive (neither refused nor helped): each one the provider's filter kept from its client lowered the
    dashboard's refusal rates. It is stored as upstream_filtered and relayed unchanged; one the filter cut off part-way
    carries the model's text and is judged."""
    with serve_in_thread(filtering_upstream()) as upstream:
        direct = {
            stream: httpx.post(f"{upstream}/v1/chat/completions", json=chat("filter", stream=stream)).content
            for stream in (False, True)
        }
        with gateway(upstream, f"sqlite:///{tmp_path}/m.db", blocking=blocking) as (url, app):
            for stream in (False, True):
                answer = httpx.post(f"{url}/v1/chat/completions", json=chat("filter", stream=stream))
                assert answer.status_code == 200 and answer.content == direct[stream], answer.text
            cut = httpx.post(f"{url}/v1/chat/completions", json=chat("cut", stream=True))
            assert cut.status_code == 200
            stored = rows(app)
            assert [(r["status"], r["response"]) for r in stored] == [
                ("upstream_filtered", ""),
                ("upstream_filtered", ""),
                ("queued", "Sure. Step 1: "),
            ]
            assert app.state.store.backlog() == 1 and app.state.worker.drain() == 1
            assert queries.judged_rates(app.state.store, 10)["samples"] == 1


def test_a_blocked_stream_names_the_model_and_id_the_upstream_answered_with(tmp_path):
    """A blocked stream is rebuilt from its texts; its chunks said model "unknown" to a request that named no model (and
    a new id), though every upstream chunk named the model that answered."""
    upstream_app = filtering_upstream()
    with (
        serve_in_thread(upstream_app) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db", blocking=True) as (
            url,
            app,
        ),
    ):
        request = {"messages": [{"role": "user", "content": "bomb please"}], "stream": True}
        answer = httpx.post(f"{url}/v1/chat/completions", json=request)
        events = [json.loads(line[5:]) for line in answer.text.splitlines() if line.startswith("data: {")]
        assert {(event["model"], event["id"]) for event in events} == {("served-model", "chatcmpl-upstream")}
        assert "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"]) == (
            "I can't help with that request."
        )
        (row,) = rows(app)
        assert row["blocked"] and row["original_response"].strip() == HARMFUL_ANSWER
        assert row["model"] is None, "the request's model field, as docs/monitoring.md says"


# ---------------------------------------------------------------- the export


def test_the_export_reads_the_store_a_page_at_a_time_not_all_of_it_before_its_first_line(tmp_path) -> None:
    """/admin/exchanges.jsonl read every exchange of its limit (up to 100,000, each with its request of up to 1 MiB)
    into the gateway's memory before it sent the first line."""
    import tracemalloc

    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    request = {"messages": [{"role": "user", "content": "x" * 50_000}]}
    ids = store.insert_exchanges([{"status": "judged", "request": request}] * 600)
    whole = 600 * 50_000
    tracemalloc.start()
    try:
        exported = queries.export_exchanges(store, 0, 100_000)
        first = next(exported)
        held = tracemalloc.get_traced_memory()[0]
        rest = list(exported)
    finally:
        tracemalloc.stop()
    assert [first["id"], *(row["id"] for row in rest)] == ids
    assert held < whole / 2, f"{held / 1e6:.1f} MB held for the first line of a {whole / 1e6:.0f} MB export"
    store.close()


# ---------------------------------------------------------------- rates over a wide window


def test_the_rates_over_a_window_are_counted_by_the_database_not_read_row_by_row(tmp_path) -> None:
    """An alert rule's window goes to 1,000,000 exchanges and is evaluated after every judged batch: every exchange of
    it was read into Python (200,000: 5.6 s a batch, 0.5 s counted by the database). The counts are the same."""
    import tracemalloc

    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    judged = {"status": "judged", "harmful": False, "refused": True, "upstream_status": 200}
    store.insert_exchanges(
        [judged | {"request_harmful": False}] * 15_000
        + [judged | {"request_harmful": True, "harmful": True, "refused": None}] * 5_000
        + [{"status": "upstream_error"}] * 2
    )
    expected = (
        {
            "samples": 20_000,
            "benign_samples": 15_000,
            "harmful_rate": 0.25,
            "refusal_rate": 0.75,
            "over_refusal_rate": 1.0,
        },
        {"samples": 20_002, "upstream_error_rate": 2 / 20_002},
    )
    for rates, wanted in zip((queries.judged_rates, queries.upstream_error_rate), expected, strict=True):
        rates(store, 10)  # the statement compiled and cached first
        tracemalloc.start()
        try:
            found = rates(store, 1_000_000)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert found == wanted
        assert peak < 1_000_000, f"{rates.__name__} held {peak / 1e6:.1f} MB for 20,000 exchanges"
    store.close()


# ---------------------------------------------------------------- start-up line


def test_the_gateway_says_it_is_starting_and_serves_through_serves_runner_which_says_ready_after_the_bind(
    tmp_path, monkeypatch
) -> None:
    """The gateway printed "monitor URL -> upstream" before uvicorn bound the port, so a port taken while the judges
    loaded read as a gateway serving there followed by uvicorn's error; `serve` says "starting" and logs "ready" only
    once bound (run_server). The gateway now does the same, with no grace cut (open requests finish, as before)."""
    import uvicorn

    import safealign.cli.monitor_cmd as monitor_cmd
    import safealign.monitor
    import safealign.serve
    from safealign.cli.main import app as cli

    def no_uvicorn(*args, **kwargs):
        raise AssertionError("the gateway ran uvicorn itself, not serve's runner that logs ready after the bind")

    served: list[tuple[int, float | None]] = []
    monkeypatch.setattr(uvicorn, "run", no_uvicorn)
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: served.append((port, grace_s)))
    monkeypatch.setattr(safealign.monitor, "create_gateway", lambda config: FastAPI())
    monkeypatch.setattr(monitor_cmd, "check_can_listen", lambda host, port: None)
    db = f"sqlite:///{tmp_path}/m.db"
    result = CliRunner().invoke(
        cli, ["monitor", "--upstream", "http://127.0.0.1:9", "--port", "8123", "--worker", "none", "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert served == [(8123, None)]
    assert said(result).startswith("starting monitor http://127.0.0.1:8123/v1"), said(result)


# ---------------------------------------------------------------- GET /v1/models/{id}


def test_the_gateway_relays_a_model_retrieve_as_it_relays_the_list(tmp_path) -> None:
    """`serve` answers GET /v1/models/{id} (openai-python's models.retrieve) since 7195146; the gateway relayed only the
    list, so retrieve through it was the gateway's own 404. It is relayed, a Hub id's "/" encoded, the status kept."""
    from test_monitor import KEY

    upstream = FastAPI()
    seen: list[str] = []

    @upstream.get("/v1/models/{model_id:path}")
    async def retrieve(model_id: str, request: Request):
        seen.append(request.url.path)
        if model_id not in ("fake-model", "org/fake-model"):
            return JSONResponse({"error": {"message": f"The model `{model_id}` does not exist."}}, status_code=404)
        return {"id": model_id, "object": "model", "owned_by": "safealign"}

    headers = {"Authorization": f"Bearer {KEY}"}
    with serve_in_thread(upstream) as upstream_url, gateway(upstream_url, f"sqlite:///{tmp_path}/m.db") as (url, app):
        assert httpx.get(f"{url}/v1/models/fake-model", headers=headers).json()["id"] == "fake-model"
        assert httpx.get(f"{url}/v1/models/org%2Ffake-model", headers=headers).json()["id"] == "org/fake-model"
        missing = httpx.get(f"{url}/v1/models/other", headers=headers)
        assert missing.status_code == 404 and "does not exist" in missing.json()["error"]["message"]
        assert rows(app) == []  # no exchange is stored for a model lookup
    assert seen == ["/v1/models/fake-model", "/v1/models/org/fake-model", "/v1/models/other"]
