"""Review 66 of the transparency bundle: judge rates over 0 rows, the splits a dev-only eval "did not score", the
recipe's shares rounded to other settings, and a bundle left half-written by a file the card cannot read.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import json

import pytest
from test_card_provenance import T0, new_run, rate, stage

from safealign.card import load_run
from safealign.errors import DataError


def _score(name: str, tp: int, fp: int, fn: int, tn: int) -> dict:
    from safealign.judges.quality import BinaryScores

    return BinaryScores(name, tp, fp, fn, tn).to_dict() | {"question": name}


def test_a_judge_rate_over_no_rows_is_na_not_zero(tmp_path):
    """A judge that flags nothing has precision 0 / 0, and a question no test row is labelled yes has recall and F1
    0 / 0: `safealign judges check` shows "n/a", README.md and report.html showed "0.0%" (and, for the harm judge's
    recall, "may miss about 100% of harmful answers" of a split with none)."""
    from safealign.card.data_card import data_card_context
    from safealign.card.model_card import write_model_card
    from safealign.card.report import write_report

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    folder = load_run(run)
    quality = {
        "measured": True,
        "judge_spec": "default",
        "refusal_judge": "lexicon",
        "harm_judge": "lexicon",
        "labelled_file": "safealign/data/judges/labelled.jsonl",
        "labelled_sha256": "0" * 64,
        "split": "test",
        "n": 150,
        "scores": {
            "refusal": _score("refusal", 56, 1, 0, 93),
            "evasive": _score("evasive", 0, 0, 0, 150),  # no row labelled evasive, none flagged
            "harm": _score("harm", 0, 0, 46, 104),  # flags nothing: precision 0 / 0, recall 0 of 46
        },
    }
    text = write_model_card(folder, data_card_context(folder), quality=quality).read_text()
    assert "| refusal | 98.2% | 100.0% | 99.1% | 150 |" in text
    assert "| evasive | n/a | n/a | n/a | 150 |" in text
    assert "| harm | n/a | 0.0% | 0.0% | 150 |" in text
    assert "may miss about 100% of harmful answers" in text  # 0 of 46 flagged: that recall is measured

    page = write_report(folder, data_card_context(folder), quality).read_text()
    assert '<td>harm</td><td class="num">n/a</td><td class="num">0.0%</td>' in page
    assert '<td>evasive</td><td class="num">n/a</td><td class="num">n/a</td><td class="num">n/a</td>' in page

    quality["scores"]["harm"] = _score(
        "harm", 0, 0, 0, 150
    )  # no harmful row: nothing to miss, nothing measured
    text = write_model_card(folder, data_card_context(folder), quality=quality).read_text()
    assert "| harm | n/a | n/a | n/a | 150 |" in text and "may miss" not in text
    assert "may miss" not in write_report(folder, data_card_context(folder), quality).read_text()


def test_an_eval_of_the_dev_suites_under_split_all_left_no_split_out(tmp_path, card):
    """eval.suites [harmful_dev] (choosing a recipe without the held-out split) with eval.split all: the card said the
    in-distribution and held-out splits were "Not scored in this run" and told the user to score them with
    `--split in_distribution`, a split the recipe never left out (the dev suites hold neither)."""
    from safealign.card.summary import eval_coverage

    run = new_run(tmp_path)
    metrics = {"refusal_rate": rate(10)}
    summary = {
        "suites": {
            "harmful_dev": {"kind": "harmful", "n_items": 20, "metrics": {"dev": metrics, "all": metrics}}
        },
        "config": {
            "suites": ["harmful_dev"],
            "split": "all",
            "judges": "default",
            "params": {"max_new_tokens": 8},
        },
    }
    stage(run, "eval/base", "tiny", T0, summary=summary)
    verdicts = {"refusal": {"label": "refusal"}, "harm": {"label": "safe"}}
    rows = [
        {"suite": "harmful_dev", "id": f"d{i}", "split": "dev", "language": "en", "verdicts": verdicts}
        for i in range(20)
    ]
    (run / "eval/base/samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert eval_coverage(load_run(run))["not_scored"] == []
    assert "Not scored in this run" not in card(run)

    summary["config"]["split"] = "held_out"  # a split the recipe did leave out is still said
    stage(run, "eval/base", "tiny", T0, summary=summary)
    assert eval_coverage(load_run(run))["not_scored"] == ["in-distribution", "held-out"]


def test_gate_tolerances_and_the_safety_share_are_shown_as_set():
    """pct(x, 0) rounded a gate tolerance of 0.005 to "0%" and 0.025 to "2%", and a rejection-sampling safety share of
    0.125 to "12%": settings the gates and the sampling did not use."""
    from safealign.card.summary import _gates

    gates = {
        "enabled": True,
        "every_steps": 10,
        "limit": 24,
        "refusal_tolerance": 0.005,
        "over_refusal_tolerance": 0.025,
        "policy": "stop",
    }
    assert "tolerance refusal -0.5%, over-refusal +2.5%;" in _gates(gates)
    assert "tolerance refusal -5%, over-refusal +7%;" in _gates(
        gates | {"refusal_tolerance": 0.05, "over_refusal_tolerance": 0.07}
    )
    from safealign.card.summary import setting_pct

    assert setting_pct(0.125) == "12.5%" and setting_pct(0.25) == "25%" and setting_pct(None) == "–"


def test_a_file_the_report_cannot_read_leaves_the_whole_bundle_as_it_was(tmp_path, card):
    """write_bundle wrote lineage.json, README.md and DATA_CARD.md, then failed on report.html (an alert example of
    another type): the folder kept a new README.md beside the report.html of the card before, the two disagreeing,
    though the error read as if the card had written nothing."""
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20)
    stage(run, "rl", str(run / "sft/model"), T0 + 40, metrics={"steps": 4})
    card(run)
    names = ("lineage.json", "README.md", "DATA_CARD.md", "report.html", ".card_written.json")
    before = {name: (run / name).read_bytes() for name in names}
    alert = {
        "detector": "length",
        "severity": "warning",
        "step": 2,
        "message": "longer",
        "evidence": {"examples": [5]},
    }
    (run / "rl/alerts.json").write_text(json.dumps([alert]))
    with pytest.raises(DataError, match="an alert's example is int"):
        card(run)
    assert {name: (run / name).read_bytes() for name in names} == before
    assert not list(run.glob("*.edited-*"))


def test_the_data_card_counts_the_judge_split_readme_reports(tmp_path):
    """DATA_CARD.md said README.md's judge precision and recall were measured on the labelled set's 250 rows; README.md
    (and judge_quality.json) say n=150, its test split: the one split the numbers are of, 100 dev rows left out."""
    from safealign.card.data_card import data_card_context, write_data_card
    from safealign.judges.quality import load_labelled

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    folder = load_run(run)
    text = " ".join(write_data_card(folder, data_card_context(folder)).read_text().split())
    tested, every = len(load_labelled(None, "test")), len(load_labelled(None, "all"))
    assert tested < every
    assert (
        "precision and recall in `README.md` are measured on the `test` split of "
        f"`safealign/data/judges/labelled.jsonl` ({tested} of its {every} rows, sha256" in text
    ), text.split("## Judge set")[1][:400]
