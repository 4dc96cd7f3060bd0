"""Review of the data card's judge-set section (session 67)."""

from __future__ import annotations

from test_card_provenance import T0, new_run, stage

from safealign.card import load_run


def _judge_set_section(folder, quality) -> str:
    from safealign.card.data_card import data_card_context, render_data_card

    text = render_data_card(folder, data_card_context(folder), quality)
    return " ".join(text.split("## Judge set")[1].split())


def test_the_data_card_says_the_judges_were_not_measured_when_the_model_card_does(tmp_path):
    """README.md said "The judges could not be measured" while DATA_CARD.md said their precision and recall in README.md
    "are measured" on the judge set's test split."""
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    folder = load_run(run)
    failed = _judge_set_section(folder, {"measured": False, "error": "no Llama Guard folder"})
    assert "could not be measured" in failed and "README.md` are measured" not in failed
    measured = _judge_set_section(folder, {"measured": True})
    assert "precision and recall in `README.md` are measured on the `test` split" in measured
    assert "could not be measured" not in measured


def test_the_card_command_gives_the_data_card_the_judges_measurement(tmp_path, monkeypatch):
    import safealign.card as card_module

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    monkeypatch.setattr(card_module, "judge_quality", lambda run, refresh=False: {"measured": False, "error": "x"})
    card_module.write_bundle(run)
    text = " ".join((run / "DATA_CARD.md").read_text().split())
    assert "The judges could not be measured when this card was written" in text


def test_the_model_cards_judge_f1_is_0_not_na_with_a_false_positive_and_no_positive_row():
    """F1 = 2tp / (2tp + fp + fn) is 0 when a judge flags a row on a split with none labelled yes; the card showed n/a
    (as `safealign judges check` did), n/a only for 0 / 0."""
    from safealign.card.model_card import judge_scores

    def score(tp: int, fp: int, fn: int) -> dict:
        return {"tp": tp, "fp": fp, "fn": fn, "tn": 5, "precision": 0.0, "recall": 0.0, "f1": 0.0}

    shown = judge_scores({"scores": {"flagged": score(0, 2, 0), "silent": score(0, 0, 0)}})
    assert shown["flagged"]["f1"] == 0.0 and shown["flagged"]["recall"] is None
    assert shown["silent"]["f1"] is None and shown["silent"]["precision"] is None
