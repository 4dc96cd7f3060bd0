"""Session 71: eval-diff and eval-arms of an endpoint eval against a local one (found by the journey review).

An endpoint eval cannot know the server's precision, nor the system prompt the server added to a request that sent
none (serve adds the model's trained one): "precision: ... None" and "system_prompt: ... None" were reported as
differences, with the advice to re-evaluate with the same settings, though the answers were the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from test_eval_diff import _with_config, _write_eval
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.evals.arms import compare_arms

LOCAL = {"spec": "runs/x/final", "identity": "abc"}
ENDPOINT = {"endpoint": "http://127.0.0.1:8000", "name": "runs/x/final"}


def _pair(tmp_path, **endpoint):
    local = _with_config(
        _write_eval(tmp_path / "local", harmful=[True] * 4, borderline=[False], correct=[True]),
        model=LOCAL,
        system_prompt="Be helpful.",
    )
    ep = _with_config(
        _write_eval(tmp_path / "ep", harmful=[True] * 4, borderline=[False], correct=[True]),
        **({"model": ENDPOINT, "system_prompt": None, "precision": None} | endpoint),
    )
    return local, ep


def test_unknown_settings_of_an_endpoint_eval_are_no_difference(tmp_path):
    local, ep = _pair(tmp_path)
    result = CliRunner().invoke(app, ["eval-diff", str(local), str(ep), "--json", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    assert "scored differently" not in result.stderr
    assert json.loads((tmp_path / "d.json").read_text())["scored_differently"] == {}
    local2, ep2 = (Path(shutil.copytree(f, tmp_path / f"{f.name}2")) for f in (local, ep))
    assert compare_arms([local, local2], [ep, ep2]).scored_differently == {}


def test_a_real_difference_of_an_endpoint_eval_is_still_said(tmp_path):
    local, ep = _pair(
        tmp_path,
        system_prompt="Be terse.",
        params={"max_new_tokens": 16, "temperature": 0.0, "top_p": 1.0, "num_samples": 1, "seed": 42},
    )
    result = CliRunner().invoke(app, ["eval-diff", str(local), str(ep)], env={"COLUMNS": "300"})
    said = " ".join(result.stderr.split())
    assert f"system_prompt: {local} 'Be helpful.', {ep} 'Be terse.'" in said
    assert f"params.max_new_tokens: {local} 128, {ep} 16" in said
    assert "precision" not in said
