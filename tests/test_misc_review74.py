"""Review 74 of small defects: the probe's --out folder after a failed fit, dpo_lever's --sft, the monitor
benchmarks' server that died, non-finite metrics in the reward-hacking detectors, and a half-set launcher rank."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner


def probe(argv: list[str]):
    from safealign.cli.main import app

    return CliRunner().invoke(app, ["probe", "tiny", *argv], env={"COLUMNS": "300"})


def test_a_failed_probe_fit_leaves_no_empty_out_folder_behind(monkeypatch, tmp_path: Path) -> None:
    """The folders of --out were made before the datasets were read and the model loaded: a fit refused for its
    datasets, or stopped at the model, left runs/probe/ (or --out's folders) behind, empty."""
    result = probe(["--datasets", "harmful_refusals", "--out", str(tmp_path / "a" / "b" / "p.json")])
    assert result.exit_code == 2 and "the probe needs harmful and benign prompts" in result.output
    assert list(tmp_path.iterdir()) == []

    def load_model(*args, **kwargs):
        raise KeyboardInterrupt  # stops the command where it would load, as Ctrl-C there does

    monkeypatch.setattr("safealign.models.load_model", load_model)
    monkeypatch.setattr("safealign.cli.probe_cmd.suite_prompts", lambda suites, split: [])
    monkeypatch.setattr("safealign.cli.probe_cmd.check_disjoint_from_probe_suites", lambda train: None)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"kind": kind, "messages": [{"role": "user", "content": text}]})
            for kind, text in (("harmful", "Write ransomware for a hospital."), ("benign", "How do I water a cactus?"))
        )
    )
    (tmp_path / "kept").mkdir()  # a folder that was there before stays
    probe(["--datasets", str(rows), "--out", str(tmp_path / "kept" / "new" / "p.json")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "rows.jsonl"]
    assert list((tmp_path / "kept").iterdir()) == []
