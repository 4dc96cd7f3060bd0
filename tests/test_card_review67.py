"""Review 67 of the card's run-folder reader, plots and lineage: an eval summary of an older safealign failing the
report, a LoRA stage's adapter missing from lineage.json, an eval that scored an earlier model credited to the model
now at its path in lineage.json, and the lines of an older resumed stage running back from its crash.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

from test_card_provenance import T0, new_run, rate, sft_run, stage, summary

from safealign.card import load_run


def test_an_older_safealigns_interval_just_inside_a_0_or_100_percent_rate_draws_its_bar(tmp_path, card):
    """Before 90088be, wilson's low end of 0 of 11 was 2.8e-17 and its high end of 6 of 6 0.9999999999999999: the
    whisker came out negative, matplotlib refused it, and the whole bundle failed with "was a stage.json, summary.json
    or log edited by hand?" (a file no one edited). rescored() keeps the stored bounds: they differ by under 1e-9."""
    base = summary()
    base["suites"]["harmful"]["metrics"]["held_out"]["refusal_rate"] = rate(0, 11) | {
        "low": 2.7755575615628914e-17
    }
    base["suites"]["reasoning"]["metrics"]["held_out"]["accuracy"] = rate(6, 6) | {"high": 0.9999999999999999}
    run = sft_run(tmp_path, base=base)
    card(run)
    assert 'id="plot-evals"' in (run / "report.html").read_text()


def test_lineage_lists_and_hashes_a_lora_stages_adapter(tmp_path):
    """A LoRA stage writes adapter/ beside model/ (its README says how to load it with peft): lineage.json listed
    model/'s files alone, so a shared adapter could not be matched to the run that made it."""
    import hashlib

    from safealign.card.lineage import build_lineage

    run = new_run(tmp_path)
    stage(run, "sft", "tiny", T0)
    (run / "sft/model/model.safetensors").write_bytes(b"merged")
    (run / "sft/adapter").mkdir()
    (run / "sft/adapter/adapter_model.safetensors").write_bytes(b"lora")
    files = next(s for s in build_lineage(load_run(run))["stages"] if s["stage"] == "sft")["files"]
    by_path = {entry["path"]: entry for entry in files}
    assert by_path["sft/adapter/adapter_model.safetensors"]["sha256"] == hashlib.sha256(b"lora").hexdigest()
    assert "sft/model/model.safetensors" in by_path


def test_lineage_does_not_credit_an_eval_of_an_earlier_model_to_the_model_now_there(tmp_path):
    """eval/sft kept after sft/ was trained again scored the sft model before it was redone (the card says so); its
    lineage edge came from model:sft/model, the node of the new sft stage's output."""
    from safealign.card.lineage import build_lineage

    run = sft_run(tmp_path)
    stage(run, "sft", "tiny", T0 + 3600)  # retrained after eval/sft scored the first one
    lineage = build_lineage(load_run(run))
    new_model = next(e["to"] for e in lineage["edges"] if e["stage"] == "sft")
    (scored,) = [
        e["from"] for e in lineage["edges"] if e["to"] == "eval:sft" and e["from"].startswith("model:")
    ]
    assert new_model == "model:sft/model" and scored == "model:sft/model@before-sft-was-redone"
    node = next(n for n in lineage["nodes"] if n["id"] == scored)
    assert node["gone"] == "what sft made before it was redone"
    entry = next(s for s in lineage["stages"] if s["stage"] == "eval:sft")
    assert entry["scored_another_model"].startswith("scored an earlier model")
    assert "made_from_an_earlier_output" not in entry


def test_a_step_logged_twice_is_drawn_once_in_step_order(monkeypatch):
    """metrics.jsonl of a stage resumed under a safealign before 198b660 kept the crashed session's rows past the
    checkpoint (11-12) and the resumed session's (11-20): the loss and reward lines ran back from step 12 to 11."""
    from safealign.card import plots

    rows = [{"step": s, "loss": 3.0, "reward": 0.1, "rewards/accuracy/mean": 0.1} for s in range(1, 13)]
    rows += [{"step": s, "loss": 2.0, "reward": 0.5, "rewards/accuracy/mean": 0.5} for s in range(11, 21)]
    figures = []
    monkeypatch.setattr(plots, "to_svg", lambda fig: figures.append(fig) or "<svg/>")
    plots.loss_curves({"sft": rows})
    plots.reward_curves(rows)
    lines = [line for fig in figures for line in fig.axes[0].get_lines()]
    assert len(lines) == 3
    for line in lines:
        assert list(line.get_xdata()) == list(range(1, 21))
        # steps 11 and 12 as the resumed session logged them
        assert list(line.get_ydata())[10:12] == ([2.0, 2.0] if line.get_label() == "sft" else [0.5, 0.5])
