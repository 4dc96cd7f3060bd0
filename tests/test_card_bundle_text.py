"""What the bundle's text and charts say of a real run's numbers: an alert's example with its prompt and rewards, the
gate chart's points and discarded steps, the bars' percentages, a metric two suites score, distillation's loss, what
the stage table's tokens count and whose data each "What data?" line is (reviewer RC, run review 58).

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

from types import SimpleNamespace

from test_card_provenance import T0, new_run, rate, sft_run, stage

from safealign.card import load_run
from safealign.runs import write_json

# The quickstart run's format_without_accuracy alert (rl/audit.json): its completion alone proves nothing.
EXAMPLE = {
    "step": 20,
    "prompt": "Compute 767 + 733.",
    "completion": "<think>\nGo left to right: 767 + 73 = 842.\n</think>\nThe answer is 842.",
    "kind": "reasoning",
    "rewards": {"accuracy": 0.0, "format": 1.0, "safety": None},
    "safety_label": "evasive",
}


def test_an_alerts_example_shows_its_prompt_and_rewards(tmp_path, card):
    """The report showed "… The answer is 842." alone: not the prompt it answers wrong, nor accuracy 0 beside
    format 1, the evidence of format without accuracy."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    alert = {
        "detector": "format_without_accuracy",
        "severity": "warning",
        "step": 20,
        "message": "format reward 0.98 while accuracy stays flat",
        "evidence": {"examples": [EXAMPLE, "an older alert's completion, stored alone"]},
    }
    write_json(run / "rl/audit.json", [alert])
    card(run)
    page = (run / "report.html").read_text()
    assert '<div class="prompt">Prompt: Compute 767 + 733.</div>' in page
    assert "The answer is 842." in page
    for chip in ("accuracy 0.0", "format 1.0", "safety n/a"):
        assert f'<span class="chip">{chip}</span>' in page
    assert "step 20 · reasoning · safety judge: evasive" in page
    assert "<pre>an older alert&#39;s completion, stored alone</pre>" in page


def _gate_figure(monkeypatch, gates: list[dict], metrics: list[dict]):
    from safealign.card import plots

    figures = []
    monkeypatch.setattr(plots, "to_svg", lambda fig: figures.append(fig) or "<svg/>")
    plots.gate_timeline(gates, metrics)
    return figures[0]


def test_the_gate_chart_draws_the_batches_points_and_shades_the_steps_a_rollback_discarded(monkeypatch):
    """The batches' harmful refusal rate (7 of 20 steps) was a dashed line through the steps without one; the steps
    the rollback discarded were not marked, and "rollback+lower_lr" at the last step ran past the right edge."""
    metrics = [{"step": s, "rewards/accuracy/mean": 0.1} for s in range(1, 21)]
    for s in (6, 10, 13, 20):
        metrics[s - 1]["safety/harmful_refusal_rate"] = 0.5
    gates = [
        {"step": 0, "passed": True, "action": "baseline", "metrics": {"refusal": 0.81}},
        {"step": 10, "passed": True, "action": "pass", "metrics": {"refusal": 0.81}},
        {
            "step": 20,
            "passed": False,
            "action": "rollback+lower_lr",
            "rolled_back_to": 10,
            "metrics": {"refusal": 0.69},
        },
    ]
    fig = _gate_figure(monkeypatch, gates, metrics)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    harmful = lines["harmful refused (training batch)"]
    assert list(harmful.get_xdata()) == [6, 10, 13, 20]
    assert harmful.get_linestyle() == "None" and harmful.get_marker() not in ("None", "", None)

    (span,) = [p for p in ax.patches if p.get_alpha() == 0.08]
    assert (span.get_x(), span.get_x() + span.get_width()) == (10, 20)
    (label,) = [t for t in ax.texts if "rollback" in t.get_text()]
    assert label.get_text() == "rollback+lower_lr to step 10: steps 11-20 discarded"
    # the step count goes on after a rollback (the gate restores weights, not global_step): the shaded points are the
    # discarded weights' alone (the label said they were "from both runs", a second run of those steps that never was)
    assert "at the next step: the shaded points are the discarded weights'" in ax.get_xlabel()
    assert "both runs" not in ax.get_xlabel()
    fig.canvas.draw()
    box, frame = label.get_window_extent(), ax.get_window_extent()
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1


def test_bar_labels_read_as_the_cards_tables_do():
    """12.5% was labelled "12%" and 7.5% "8%" on the bars while the tables said 12.5% and 7.5%."""
    from safealign.card.plots import eval_bars
    from safealign.card.summary import eval_rows

    summary = {
        "suites": {"reasoning": {"kind": "reasoning", "metrics": {"held_out": {"accuracy": rate(5, 40)}}}}
    }
    base = {
        "suites": {"reasoning": {"kind": "reasoning", "metrics": {"held_out": {"accuracy": rate(3, 40)}}}}
    }
    run = SimpleNamespace(evals={"base": base, "sft": summary}, final_eval="sft", stages=[], done=[])
    svg = eval_bars(eval_rows(run), ["base", "sft"])
    assert ">12.5%<" in svg and ">7.5%<" in svg
    assert ">12%<" not in svg and ">8%<" not in svg


def test_a_metric_two_suites_score_is_titled_with_its_suite():
    """The format suite (n=20) and the reasoning suite (n=40) both score "answers in the reasoning format": the bar
    panel and the "What scores?" row said it without the suite."""
    from safealign.card.plots import eval_bars
    from safealign.card.summary import eval_rows, overview

    metrics = {"accuracy": rate(5, 40), "format_compliance": rate(30, 40)}
    summary = {
        "suites": {
            "harmful": {"kind": "harmful", "metrics": {"held_out": {"refusal_rate": rate(30, 40)}}},
            "reasoning": {"kind": "reasoning", "metrics": {"held_out": metrics}},
            "format": {"kind": "format", "metrics": {"held_out": {"format_compliance": rate(17, 20)}}},
        }
    }
    run = SimpleNamespace(evals={"base": summary}, final_eval="base", stages=[], done=[])
    titles = {(r["suite"], r["metric"]): r["title"] for r in eval_rows(run)}
    assert titles[("format", "format_compliance")] == "format: answers in the reasoning format"
    assert titles[("reasoning", "format_compliance")] == "reasoning: answers in the reasoning format"
    assert titles[("harmful", "refusal_rate")] == "harmful requests refused"  # scored by one suite: as before
    names = [s["name"] for s in overview(run)["scores"]]
    assert "format: answers in the reasoning format" in names
    assert "format: answers in the reasoning format" in eval_bars(eval_rows(run), ["base"])


def _distill_run(tmp_path, **metrics) -> object:
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "distill", "tiny", T0 + 20, metrics={"train_loss": 2.134, "steps": 99} | metrics)
    return run


def test_distillation_says_its_first_and_last_logged_loss_as_sft_does(tmp_path, card):
    """The distillation outcome said "loss 2.134", HF's train_loss (the mean over all steps), beside SFT's
    "loss 3.561 → 2.733" (first → last logged): two different numbers under one word."""
    run = _distill_run(tmp_path / "fields", first_loss=3.8416, last_loss=1.7518)
    assert "; loss 3.842 → 1.752\n" in card(run)

    # a run from before distill recorded them: its metrics log
    run = _distill_run(tmp_path / "log")
    logged = [{"step": 1, "loss": 3.8416}, {"step": 95, "loss": 1.7518}, {"step": 99, "train_loss": 2.134}]
    (run / "distill/metrics.jsonl").write_text("".join(f"{row}\n".replace("'", '"') for row in logged))
    assert "; loss 3.842 → 1.752\n" in card(run)

    # neither: the mean, named so
    run = _distill_run(tmp_path / "none")
    text = card(run)
    assert "; mean training loss 2.134\n" in text and "; loss 2.134" not in text


def test_the_stage_tables_tokens_say_what_they_count_and_sample_counts_what_it_generated(tmp_path, card):
    """The tokens column counted tokens generated (evals), prompt + generated (sample: 44,395 while the Compute line
    said 20,543 generated) and tokens trained on, under one word."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    metrics = {"samples": 8, "accepted": 3, "tokens": 44395, "completion_tokens": 20543}
    stage(run, "sample", str(run / "rl/model"), T0 + 80, metrics=metrics)
    stage(run, "sft", "tiny", T0 + 20, metrics={"tokens": 142433})
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40, metrics={"tokens": 11280})
    text = card(run)
    header = (
        "| stage | status | wall time | tokens (sft, distill: trained on; rl: in rollouts, prompts and completions of "
        "every step run; eval, sample: generated) | from `stage.json` |"
    )
    assert header in text
    assert "| `sample` | done | 5.0 s | 20,543 | `sample/stage.json` |" in text
    assert "| `sft` | done | 5.0 s | 142,433 | `sft/stage.json` |" in text
    assert "| `eval:sft` | done | 5.0 s | 11,280 | `eval/sft/stage.json` |" in text
    assert "**tokens generated:** 20,543;" in text and "**tokens trained on:** 142,433;" in text
    assert "(and 20,543 generated in rejection sampling)" in text
    assert "44,395" not in text
    page = (run / "report.html").read_text()
    assert (
        "rl: in rollouts, prompts and completions of every step run; eval, sample: generated</span></th>"
        in page
    )
    assert '<td class="num">20,543</td>' in page and "44,395" not in page


def test_rls_tokens_say_they_are_its_rollouts_not_what_its_model_trained_on(tmp_path, card):
    """RL's tokens (TRL's num_tokens: every rollout's prompts and completions, of the steps a rollback discarded too;
    the quickstart's 76,061 while rl/model held step 10's weights, 39,724 then) were labelled "trained on"."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60, metrics={"tokens": 76061})
    text = card(run)
    assert "| `rl` | done | 5.0 s | 76,061 | `rl/stage.json` |" in text
    assert (
        "**tokens in rollouts (prompts and completions of every step run, rolled-back ones too):** 76,061;"
        in text
    )
    assert "**tokens trained on:** 76,061" not in text


def test_each_what_data_line_names_its_stage(tmp_path, card):
    """Four unlabelled lines (SFT mixture, RL prompts, sampled prompts, distillation mixture) under "What data?"."""
    run = sft_run(tmp_path)
    stage(
        run,
        "rl",
        str(run / "sft/model"),
        T0 + 60,
        inputs={"prompts": {"rows": 160, "tasks": {"arithmetic": 1}}},
    )
    data = load_run(run)
    from safealign.card.summary import overview

    lines = overview(data)["data"]
    assert [line.split(": ", 1)[0] for line in lines] == ["Supervised fine-tuning", "GRPO reasoning RL"]
    assert lines[1] == "GRPO reasoning RL: 160 prompts, task mix arithmetic 1"
    assert "<br>GRPO reasoning RL: 160 prompts, task mix arithmetic 1 |" in card(run)
