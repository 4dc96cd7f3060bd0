"""Session 70's end-to-end journey on the tiny model: what a new user met, pinned as tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from safealign.cli.common import table
from safealign.cli.run_cmd import stage_table
from safealign.pipeline import PipelineResult


def _headline(value: float) -> dict:
    return {
        "value": value,
        "n": 3,
        "low": 0.0,
        "high": 0.56,
        "count": round(value * 3),
        "split": "held_out",
        "higher_is_better": True,
        "title": "harmful refused",
    }


def test_the_stage_table_keeps_its_scores_readable_beside_a_skipped_distillation(tmp_path: Path) -> None:
    """`safealign run` on the tiny model, where rejection sampling kept no trace and distill.transfer_data was set
    (6cd0a82 lengthened the skip reason): at 120 and 150 columns the table printed the stage names and nothing else,
    every other column zero wide (at 200 it showed them)."""
    result = PipelineResult(run_dir=tmp_path)
    result.stages.append(
        {
            "stage": "eval:base",
            "dir": str(tmp_path / "eval"),
            "wall_time_s": 20.0,
            "tokens": 120,
            "sessions": 1,
            "headline": {"harmful.refusal_rate": _headline(2 / 3)},
        }
    )
    detail = "distill.transfer_data (benign_helpful) is not distilled on alone"
    result.skip("distill", tmp_path / "distill", "rejection sampling kept no trace", detail)
    assert result.stages[-1]["skipped"] == f"rejection sampling kept no trace; {detail}"  # pipeline.json keeps it all
    for width in (120, 150):
        console = Console(width=width, record=True)
        console.print(table("Run", *stage_table(result.stages)))
        shown = console.export_text()
        assert "wall" in shown and "harmful" in shown and "67%" in shown, shown


@pytest.mark.parametrize("role", ["user", "system"])
def test_the_gateway_refuses_an_empty_content_list_as_serve_does(role: str) -> None:
    """Through `safealign monitor` in front of `safealign serve`, {"role": "user", "content": []} was forwarded (6c62b3f
    refuses a missing or null content only): serve answered its 422, stored as an upstream_rejected exchange; OpenAI
    refuses an empty content array too, and an upstream that takes it renders a blank turn for the judges."""
    import json

    from safealign.monitor.gateway import parse_chat
    from safealign.serve.protocol import RequestError, validate_chat

    messages = [{"role": role, "content": []}] + (
        [{"role": "user", "content": "hi"}] if role == "system" else []
    )
    with pytest.raises(RequestError) as served:
        validate_chat({"messages": messages})
    with pytest.raises(RequestError) as caught:
        parse_chat(json.dumps({"messages": messages}).encode())
    assert caught.value.status == 400 and caught.value.message == served.value.message, caught.value.message


def test_card_on_a_run_whose_first_stage_was_stopped_names_that_stage(tmp_path: Path) -> None:
    """`safealign sft RECIPE` killed after its checkpoint-4, then `safealign card runs/NAME`: 'runs/NAME holds no
    recipe.yaml and no finished stage (stage.json); is it a run folder?' It is one, with an unfinished sft stage that
    `safealign sft RECIPE` resumes; the error should say so."""
    from safealign.card import RunFolderError, write_bundle

    stage = tmp_path / "run" / "sft"
    (stage / "checkpoint-4").mkdir(parents=True)
    (stage / "config.json").write_text('{"stage": "sft"}\n')
    (stage / "sessions.jsonl").write_text('{"started_at": 1}\n')
    with pytest.raises(RunFolderError) as caught:
        write_bundle(tmp_path / "run")
    assert "sft" in str(caught.value) and "unfinished" in str(caught.value), str(caught.value)


def test_a_stage_stopped_after_a_checkpoint_has_no_readme_naming_a_hub_model_it_never_came_from(
    tmp_path: Path,
) -> None:
    """kill -9 of `safealign run` on the tiny recipe after SFT's checkpoint-4: runs/<name>/sft/README.md was TRL's
    card ("a fine-tuned version of [tiny](https://huggingface.co/tiny)", a quick start loading model="None"), which a
    user opening the crashed stage reads as the stage's README; safealign writes its own only when the stage finishes."""
    from test_sft import CrashAt, config, write_memorisation_set

    from safealign.stages.sft import run_sft

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    stage_dir = tmp_path / "sft"
    with pytest.raises(KeyboardInterrupt):
        run_sft(
            config(data, max_steps=4, save_steps=2),
            "tiny",
            stage_dir,
            precision="fp32",
            callbacks=[CrashAt(3)],
        )
    assert (stage_dir / "checkpoint-2").is_dir()
    readme = stage_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    assert "huggingface.co/tiny" not in text and 'model="None"' not in text, text
