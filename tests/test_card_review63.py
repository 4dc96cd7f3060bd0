"""Review 63 of the transparency bundle: what the cards say when the final eval scored one safety side only, a stage
README of a model path with a pipe or a backtick in it, and the reward chart of an RL stage that logged one step.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import re

from test_card_provenance import rate, sft_run


def _only(kind: str) -> dict:
    """A summary.json whose one suite is of ``kind`` (its headline metric only)."""
    metric = {"harmful": "refusal_rate", "borderline": "over_refusal_rate"}[kind]
    rates = {metric: rate(10)} | ({"answered_rate": rate(8)} if kind == "borderline" else {})
    return {
        "suites": {kind: {"kind": kind, "n_items": 20, "metrics": {"held_out": rates, "all": rates}}},
        "config": {"suites": [kind], "judges": "default", "params": {"max_new_tokens": 8}},
    }


def _intended_use(text: str) -> str:
    return " ".join(text.split("## Intended use", 1)[1].split("## Out-of-scope use", 1)[0].split())


def test_intended_use_does_not_point_to_benign_answer_rates_the_final_eval_did_not_measure(tmp_path, card):
    """With harmful suites only, the card said how often the model answers benign requests "is in **Evaluation
    results**", while **Known limitations** said that side was not measured: there is no such number."""
    text = card(sft_run(tmp_path, base=_only("harmful"), sft=_only("harmful")))
    use = _intended_use(text)
    assert "how often it answers benign ones, is in **Evaluation results**" not in use, use
    assert "how often it does is in **Evaluation results**" in use, use
    assert "how often it answers benign ones was not measured in this run" in use, use
    assert "**Safety not measured on both sides.** The final evaluation scored no borderline suite" in text

    # both sides scored: the sentence points to both
    both = _only("harmful")
    both["suites"] |= _only("borderline")["suites"]
    text = card(sft_run(tmp_path / "both", base=both, sft=both))
    use = _intended_use(text)
    assert "(how often it does, and how often it answers benign ones, is in **Evaluation results**)" in use, (
        use
    )
    assert "Safety not measured on both sides" not in text

    # borderline only: neither side's refusal of harmful requests is claimed
    text = card(sft_run(tmp_path / "borderline", base=_only("borderline"), sft=_only("borderline")))
    use = _intended_use(text)
    assert "(how often it does was not measured in this run)" in use, use


def _table_rows(markdown: str) -> list[list[str]]:
    """The cells of each row of the first Markdown table, split as GitHub splits them (on pipes not escaped)."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_a_stage_readme_keeps_a_model_path_with_a_pipe_or_a_backtick_in_one_cell():
    """`| started from | `/models/a|b` |` split into three cells (GitHub splits a table row on a pipe inside a code
    span too), and a backtick in the path ended the code span early."""
    from safealign.card.stage_readme import stage_readme

    for stage, extra in (("sft", {}), ("distill", {"config": {"student": "prune:0.5"}})):
        record = {
            "stage": stage,
            "parent": "/models/a|b `x`",
            "output": "runs/t|1/sft/model",
            "seed": 1,
            "wall_time_s": 1.0,
            "metrics": {"steps": 3},
            "inputs": {"student": "prune:0.5"} if stage == "distill" else {},
        } | extra
        page = stage_readme(record)
        rows = _table_rows(page)
        assert all(len(cells) == 2 for cells in rows), rows
        cells = {cells[0].strip(): cells[1].strip() for cells in rows}
        assert cells["model"] == r"`runs/t\|1/sft/model` (safetensors and tokenizer)", cells
        assert cells["teacher" if stage == "distill" else "started from"] == r"`` /models/a\|b `x` ``", cells
        # outside the table a pipe needs no escape; the backtick still needs the longer fence
        assert page.startswith("# ") and page.splitlines()[0].endswith(": `runs/t|1/sft/model`"), page
        assert "`` /models/a|b `x` ``" in page.split("| |", 1)[0], page


def test_the_reward_chart_draws_the_total_of_an_rl_stage_that_logged_one_step():
    """The weighted total was a line without markers: with one logged step it is one point, and a line through one
    point draws nothing, so the chart's headline series was missing (its legend entry drawn, no mark)."""
    from safealign.card import plots

    svg = plots.reward_curves([{"step": 1, "rewards/accuracy/mean": 0.5, "reward": 0.3}])
    assert svg is not None
    # each series is a <g id="line2d_N"> whose <path> is the line; a point is drawn as a marker (<use>) inside it
    series = re.findall(r'<g id="line2d_\d+">(.*?)</g>', svg, re.S)
    total = [body for body in series if "stroke: #111827" in body and "<path" in body]
    assert total, "no series of the total's colour"
    assert "<use" in total[0], total[0]


def test_the_title_of_a_student_with_weights_of_its_own_names_them(tmp_path, card):
    """distill.student tiny:3: the Hub's base_model and **Starts from** named tiny:3, but the card's title called the
    final model "tiny post-trained", the teacher's base, whose weights it does not hold."""
    from test_card_provenance import T0, front_matter_of, new_run, stage

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(
        run,
        "distill",
        "tiny",
        T0 + 20,
        inputs={"teacher": "tiny", "student": "tiny:3"},
        config={"student": "tiny:3"},
    )
    text = card(run)
    title = next(line for line in text.splitlines() if line.startswith("# "))
    assert (
        title == "# tr: tiny:3, a student distilled from tiny post-trained for safe reasoning with safealign"
    ), title
    assert front_matter_of(text)["base_model"] == "tiny:3"

    # a student pruned from the teacher is the teacher's weights: the title names the base model alone
    stage(run, "distill", "tiny", T0 + 20, inputs={"student": "prune:0.5"}, config={"student": "prune:0.5"})
    title = next(line for line in card(run).splitlines() if line.startswith("# "))
    assert title == "# tr: tiny post-trained for safe reasoning with safealign", title


def test_the_report_says_which_safety_side_the_final_eval_did_not_measure(tmp_path, card):
    """The model card's **Known limitations** said the benign side was not measured; report.html, read alone, showed
    the harmful-refusal rate with no word that over-refusal was never scored."""
    run = sft_run(tmp_path, base=_only("harmful"), sft=_only("harmful"))
    card(run)
    page = " ".join((run / "report.html").read_text().split())
    assert 'id="one-sided"' in page and "scored no borderline suite (how often it refuses or dodges" in page

    both = _only("harmful")
    both["suites"] |= _only("borderline")["suites"]
    run = sft_run(tmp_path / "both", base=both, sft=both)
    card(run)
    assert 'id="one-sided"' not in (run / "report.html").read_text()
