"""Session 71's lead: follow-ups the area reviews found outside their files."""

from __future__ import annotations

from test_evals_review71 import padding_server  # noqa: F401  (a fixture)
from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


def test_eval_keeps_an_rg_settings_list_whole_in_suites(tiny, tmp_path, monkeypatch):
    """`--suites 'rg:basic_arithmetic?operators=[+,-]'` (the form a stage's overlap error prints) was split at the
    comma inside the brackets, and eval failed with "unsupported operator: [+"; data check took it whole (183cc24)."""
    import safealign.models

    monkeypatch.setattr(safealign.models, "load_model", lambda *args, **kwargs: tiny)
    suite = "rg:basic_arithmetic?operators=[+,-]"
    args = ["eval", "tiny", "--suites", suite, "--max-new-tokens", "1", "--limit", "2", "--out", str(tmp_path / "e")]
    result = runner.invoke(app, args)
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert "unsupported operator" not in said


def test_data_check_says_a_suites_warning_once():
    """`data check --suites rg:gcd` logged "rg:gcd: it is a held-out family of the reasoning suite..." twice: when the
    spec was checked and again when its items were read for the overlap check."""
    result = runner.invoke(app, ["data", "check", "--suites", "rg:gcd"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert said.count("rg:gcd: it is a held-out family") == 1, said


def test_monitor_evaluate_keeps_an_rg_settings_list_whole_in_suites(tmp_path, monkeypatch):
    """monitor evaluate split --suites at every comma, so 'rg:basic_arithmetic?operators=[+,-]' became two suites."""
    import safealign.monitor.reevaluate as reevaluate

    calls: list[tuple] = []
    monkeypatch.setattr(reevaluate, "default_runner", lambda *a, **k: calls.append((a, k)) or {})
    suite = "rg:basic_arithmetic?operators=[+,-]"
    command = ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--model", "m", "--once"]
    result = runner.invoke(app, [*command, "--db", f"sqlite:///{tmp_path}/m.db", "--suites", f"dev,{suite}"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, (said, result.exception)
    assert suite in repr(calls) and "operators=[+'" not in repr(calls), calls


def test_the_monitor_reading_a_recipe_gives_no_rl_stage_warning(tmp_path):
    """`monitor --recipe R` printed the RL stage's warnings (rl.hacking.window, gates.every_steps): it trains nothing,
    as sft, sample and distill (456dd5f)."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\nrl: {{max_steps: 6}}\n")
    result = runner.invoke(app, ["monitor", "judge", "--recipe", str(recipe), "--once"])
    said = " ".join(result.output.split())
    assert "no monitor: section" in said, said
    assert "hacking.window" not in said and "gates.every_steps" not in said, said


def test_packed_attention_names_the_model_it_switches(caplog):
    """Distillation switches its student and its teacher: 'padding-free batches: attention runs per packed sequence'
    was logged twice, the same line for two models."""
    import logging

    from safealign.models import load_model
    from safealign.training.packed_attention import use_packed_attention

    model = load_model("tiny:2").model
    with caplog.at_level(logging.INFO, logger="safealign.training.packed_attention"):
        assert use_packed_attention(model, "teacher") == "sdpa"
    assert "padding-free batches (teacher): attention runs per packed sequence" in caplog.text, caplog.text


def test_rl_with_vllm_on_a_machine_without_a_gpu_is_refused_before_it_makes_the_run_folder(tmp_path):
    """`safealign rl` made runs/NAME/.lock (the run folder) before the vLLM check refused; `safealign run` checks
    before it makes anything."""
    import torch

    if torch.cuda.is_available():
        import pytest

        pytest.skip("checks the refusal on a machine without a CUDA GPU")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\nrl: {{use_vllm: true}}\n")
    result = runner.invoke(app, ["rl", str(recipe)])
    said = " ".join(result.output.split())
    assert result.exit_code != 0 and "GPU" in said, said
    assert not (tmp_path / "runs").exists(), sorted(p.name for p in (tmp_path / "runs").rglob("*"))


def test_the_monitors_model_listing_sends_a_key_without_its_last_newline():
    """monitor evaluate's upstream_model built its Bearer header from the key as given: a key read from a secret's file
    with its last newline failed with an error quoting the whole key (eval --endpoint strips it: f05221b)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from safealign.monitor.reevaluate import upstream_model

    seen: list[str | None] = []

    class Models(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            body = json.dumps({"data": [{"id": "served"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert upstream_model(f"http://127.0.0.1:{server.server_port}", "sk-secret\n") == "served"
    finally:
        server.shutdown()
    assert seen == ["Bearer sk-secret"]


def test_the_rubric_judge_times_out_a_grader_padding_its_reply(padding_server):  # noqa: F811
    """The rubric judge's timeout bounded each read: a grader that pads a queued reply with whitespace (OpenRouter)
    was waited on as long as it padded, for ever if its queue never moved (eval --endpoint: be4e63f)."""
    import pytest

    from safealign.judges.openai_rubric import OpenAIRubricJudge, RubricJudgeError

    judge = OpenAIRubricJudge(padding_server, "m", timeout=1.0, backoff=0.0)
    with pytest.raises(RubricJudgeError, match="did not answer within 1 s"):
        judge.judge(["p"], ["r"])
