"""Review 69 of the transparency bundle: report.html's plots changed bytes on every rewrite of an unchanged run, and
DATA_CARD.md gave a training file's version that was never checked the counts of another version read from its path.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import re

from test_card_provenance import T0, new_run, stage

from safealign.card import load_run
from safealign.runs import write_jsonl


def test_a_plot_drawn_twice_gives_the_same_bytes():
    """matplotlib salts an SVG's ids with a random uuid and stamps a <dc:date>: every `safealign card` of an unchanged
    run rewrote every plot of report.html (hundreds of changed lines in a bundle kept in git)."""
    from safealign.card import plots

    metrics = [
        {"step": s, "rewards/accuracy/mean": s / 10, "reward": s / 10, "loss": 1 / s} for s in range(1, 6)
    ]
    first = plots.reward_curves(metrics)
    assert first == plots.reward_curves(metrics) and "dc:date" not in first
    # the page's plots share one HTML document: no id one of them refers to is another's
    referenced = lambda svg: set(re.findall(r'(?:url\(#|xlink:href="#)([^)"]+)', svg))  # noqa: E731
    assert referenced(first) and not referenced(first) & referenced(plots.loss_curves({"sft": metrics}))


def test_a_training_file_edited_between_two_stages_is_checked_and_counted_per_version(tmp_path):
    """SFT read data/chat.jsonl, distillation's transfer_data read it after an edit: both versions were checked under
    the path, so the SFT version (changed since, never checked) showed the other version's decontamination counts, and
    the verdict named the path as both checked and not checked."""
    from safealign.card.data_card import data_card_context, render_data_card
    from safealign.corpus.mixture import sha256_file

    run = new_run(tmp_path)
    data = tmp_path / "chat.jsonl"

    def rows(text: str) -> list[dict]:
        return [{"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]}]

    def source(path, sha256: str) -> dict:
        return {"name": str(path), "path": str(path), "sha256": sha256, "rows_in_file": 1, "rows_used": 1}

    write_jsonl(data, rows("the first version of the prompt"))
    first = sha256_file(data)
    stage(
        run, "sft", "tiny", T0, inputs={"data": {"rows": 1, "by_kind": {}, "sources": [source(data, first)]}}
    )
    write_jsonl(data, rows("the second version of the prompt"))
    traces = run / "sample/traces.jsonl"
    write_jsonl(traces, rows("a teacher trace"))
    stage(
        run,
        "distill",
        str(run / "sft/model"),
        T0 + 20,
        config={"student": "prune:0.5", "mode": "sequence"},
        inputs={
            "traces": {
                "rows": 2,
                "sources": [source(traces, sha256_file(traces)), source(data, sha256_file(data))],
            }
        },
    )
    folder = load_run(run)
    context = data_card_context(folder)
    sft, _, transfer = context["training"]
    checked = context["decontamination"]
    assert sft["changed"] and sft["check_name"] != transfer["check_name"]
    assert checked["not_checked"] == [sft["check_name"]] and sft["check_name"] not in checked["per_file"]
    assert transfer["check_name"] in checked["per_file"]
    text = render_data_card(folder, context)
    sft_section = text.split("### chat.jsonl (SFT mixture)")[1].split("###")[0]
    assert "**Decontamination:**" not in sft_section


def test_a_reward_logged_null_at_some_steps_breaks_its_line_there(monkeypatch):
    """The safety reward applies to harmful and benign prompts only: at a step whose batch had none, TRL's mean is
    NaN, logged as null. The reward chart left those steps out, so its line ran from step 2 to step 5 through two
    steps that scored no safety prompt."""
    import math

    import matplotlib.axes

    from safealign.card import plots

    drawn = {}
    plot = matplotlib.axes.Axes.plot

    def spy(ax, *args, **kwargs):
        drawn[kwargs.get("label")] = args
        return plot(ax, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    safety = {1: 0.9, 2: 0.8, 5: 0.7}
    metrics = [{"step": s, "reward": 0.5, "rewards/safety/mean": safety.get(s)} for s in range(1, 7)]
    assert plots.reward_curves(metrics)
    steps, values = drawn["safety"]
    assert list(steps) == [1, 2, 3, 4, 5, 6]
    assert [None if math.isnan(v) else v for v in values] == [0.9, 0.8, None, None, 0.7, None]
    # a reward logged only as null still draws nothing, and a total with no null is one line
    assert plots.reward_curves([{"step": s, "rewards/safety/mean": None} for s in range(3)]) is None
    assert list(drawn["total (weighted)"][0]) == [1, 2, 3, 4, 5, 6]
