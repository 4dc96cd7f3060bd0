"""Review 69 of the smaller commands (card, judges, models, probe, data) and the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_review66 import WIDE, runner, said, wide_console  # noqa: F401 (wide_console: an autouse fixture)

from safealign.cli.main import app

ROW = {
    "messages": [
        {"role": "user", "content": "How do I bake a fairly simple loaf of bread at home with basic flour?"},
        {"role": "assistant", "content": "Mix flour, water, yeast and salt; knead, rise, bake."},
    ],
    "kind": "benign",
    "category": "cooking",
}


def test_data_check_counts_a_file_named_twice_once(tmp_path: Path) -> None:
    """One file given by two spellings (or twice) was checked twice: its row shown twice, its training turns counted
    twice in the decontamination line, and each problem or overlap in it said twice."""
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    other = f"{tmp_path}/./mine.jsonl"  # pathlib would fold the "/./"
    result = runner.invoke(app, ["data", "check", str(data), other, str(data)], env=WIDE)
    assert result.exit_code == 0, (result.output, result.exception)
    assert said(result).count("benign/cooking 1") == 1, said(result)
    assert ": 2 training turns vs" in said(result), said(result)  # one user + one assistant turn, not 4 or 6
    assert f"{other} is the same file as {data}: checked once" in said(result)
    assert f"{data} given twice: checked once" in said(result)


def test_data_check_counts_a_row_without_a_language_as_english(tmp_path: Path) -> None:
    """The validator says "leave the field out for English" and training reads such a row as English, but the
    languages column listed those rows as "?", as if their language were unknown."""
    data = tmp_path / "english.jsonl"
    data.write_text(json.dumps(ROW) + "\n" + json.dumps(ROW | {"language": "fr"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["data", "check", str(data)], env=WIDE)
    assert "en 1, fr 1" in said(result), said(result)
    assert "? 1" not in said(result)


def test_probe_reads_a_dataset_named_twice_once(tmp_path: Path) -> None:
    """`--datasets harmful_refusals,benign_helpful,<benign_helpful's path>` fitted the probe on every benign prompt
    twice: 330 harmful vs 1020 benign instead of vs 510, another balance and so another layer, C and threshold."""
    from safealign.cli.probe_cmd import training_prompts
    from safealign.corpus.registry import dataset_path

    once = training_prompts("harmful_refusals,benign_helpful", "en")
    named_twice = training_prompts(f"harmful_refusals,benign_helpful,{dataset_path('benign_helpful')}", "en")
    assert named_twice == once


def test_data_check_says_each_problem_on_one_line_in_a_log(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Written to a log or a pipe, each problem was cut at 120 columns: `data check | grep "got ['a']"` found the
    end of a problem without its file:line, and `| wc -l` counted lines, not problems."""
    from safealign.cli.common import console, err_console

    for shown in (console, err_console):
        monkeypatch.setattr(shown, "width", 120)  # what a log gets (LOG_WIDTH)
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps(ROW | {"kind": ["a"]}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["data", "check", str(data)])
    assert result.exit_code == 1, (result.output, result.exception)
    line = next(line for line in result.output.splitlines() if f"{data}:1:" in line)
    assert line.endswith("got ['a']"), result.output
