"""`safealign run RECIPE.yaml`: the whole pipeline, with a results table per stage at the end."""

from __future__ import annotations

from pathlib import Path

import typer

from safealign.cli.common import console, friendly_errors, given_recipe, table

# what each stage's tokens count, in the model card's words, printed under the table (a header this long wraps the column)
TOKENS_NOTE = "tokens: sft and distill trained on, rl in rollouts, eval and sample generated"


# What the stage table's scores are of, by the recipe's eval.split (its headlines take held_out where a suite has it,
# else all the items scored): under in_distribution the title said "held-out splits" of in-distribution scores
SCORED_ITEMS = {
    "held_out": "held-out splits where a suite has one",
    "all": "held-out splits where a suite has one",
    "in_distribution": "in-distribution items: eval.split is in_distribution",
}


def stage_token_count(row: dict) -> str:
    """A stage's tokens as the model card counts them (``stage_tokens``): the sample stage's those it generated, not
    its prompts + completions (``tokens`` in ``stage.json``, which RL's rollouts and ``safealign compare`` count)."""
    from safealign.card.run_folder import number
    from safealign.card.summary import stage_tokens
    from safealign.runs import stage_done

    if row.get("skipped"):
        return "-"
    record = stage_done(Path(row["dir"])) if row.get("dir") else None
    if record is None:  # a row with no stage.json to read: the tokens it carries
        record = {"metrics": {"tokens": row.get("tokens")}}
    count = stage_tokens(row["stage"], record)["count"]
    return number(count) if count else "-"


def stage_table(stages: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of the stage table: each built-in suite's headline, and any other suite's an eval scored."""
    from safealign.stages.evaluate import headline_columns, rate_cell

    columns = headline_columns([s.get("headline") or {} for s in stages])
    rows = []
    for s in stages:
        h = s.get("headline") or {}
        wall = f"{s['wall_time_s']:.0f}s" if s.get("wall_time_s") else "-"
        if (s.get("sessions") or 1) > 1:  # resumed after a crash: the time of every session it took
            wall += f" ({s['sessions']} sessions)"
        rows.append(
            [s["stage"], wall, stage_token_count(s), *(rate_cell(h.get(key)) for key, _, _ in columns)]
        )
    return ["stage", "wall", "tokens", *(title for _, title, _ in columns)], rows


def shared_machine_notes(stages: list[dict]) -> list[str]:
    """A line per stage whose CPU time was partly someone else's: its wall time is not the pipeline's alone."""
    from safealign.machine_load import SHARED_AT, describe, shared_share

    return [
        f"{s['stage']} shared the machine ({describe(s['machine_load'])} of the CPU time): its wall time is "
        "longer than the stage alone takes"
        for s in stages
        if shared_share(s.get("machine_load")) >= SHARED_AT
    ]


@friendly_errors
def run(
    recipe: str = typer.Argument(
        ..., parser=given_recipe, help="Recipe YAML (see recipes/quickstart.yaml)."
    ),
) -> None:
    """Run the whole pipeline: baseline eval → SFT → RL → rejection sampling → distillation → evals → card."""
    from safealign.config import load_recipe
    from safealign.distributed import is_main_process
    from safealign.pipeline import run_pipeline

    parsed = load_recipe(recipe)
    result = run_pipeline(parsed, recipe_path=Path(recipe))  # which says each line of the prompt draw once
    if not is_main_process():  # under accelerate launch every rank runs the pipeline; one prints its table
        return
    console.print(
        table(
            f"Run {result.run_dir} ({SCORED_ITEMS[parsed.eval.split]}; ± is half the 95% Wilson interval)",
            *stage_table(result.stages),
        )
    )
    console.print(TOKENS_NOTE, markup=False)
    for note in shared_machine_notes(result.stages):
        console.print(note, style="yellow", markup=False)
    console.print(f"final model: {result.final_model}", markup=False)


@friendly_errors
def compare(
    recipe: str = typer.Argument(
        ..., parser=given_recipe, help="Recipe YAML with sft, rl and distill sections."
    ),
) -> None:
    """Ablation: base, SFT only, RL only (R1-Zero style), SFT→RL, distilled student — one table (Markdown + JSON)."""
    from safealign.compare import run_compare
    from safealign.config import load_recipe
    from safealign.distributed import is_main_process

    parsed = load_recipe(recipe)
    result = run_compare(parsed, recipe_path=Path(recipe))  # a line of the prompt draw is said once
    if not is_main_process():  # under accelerate launch every rank runs the arms; one prints the table
        return
    console.print(
        (parsed.run_dir / "ablation.md").read_text(encoding="utf-8"), markup=False, highlight=False
    )  # "[v2]" is text
    console.print(  # a run_dir is text, not Rich markup
        f"wrote {parsed.run_dir / 'ablation.md'} and ablation.json ({len(result['arms'])} arms)", markup=False
    )
