"""The `safealign` command line."""

from __future__ import annotations

import shlex

import typer
from rich.markup import escape

from safealign.cli import (
    card_cmd,
    data_cmd,
    eval_cmd,
    generate_cmd,
    judges_cmd,
    models_cmd,
    monitor_cmd,
    probe_cmd,
    run_cmd,
    serve_cmd,
    train_cmd,
)
from safealign.cli.common import (
    STARTUP_INTERRUPTED,
    console,
    err_console,
    friendly_errors,
    given_recipe,
    setup_logging,
)

app = typer.Typer(
    name="safealign",
    help="Post-train language models to reason well and stay harmless.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    try:
        setup_logging(verbose)  # imports transformers: a second or two in which Ctrl-C said nothing
    except KeyboardInterrupt:
        err_console.print(f"[yellow]{STARTUP_INTERRUPTED}[/]", highlight=False)
        raise typer.Exit(130) from None


app.add_typer(models_cmd.app, name="models")
app.command("serve")(serve_cmd.serve)
app.add_typer(monitor_cmd.app, name="monitor")
app.add_typer(judges_cmd.app, name="judges")
app.command("generate")(generate_cmd.generate)
app.command("eval")(eval_cmd.eval_command)
app.command("eval-diff")(eval_cmd.eval_diff_command)
app.command("eval-arms")(eval_cmd.eval_arms_command)
app.command("probe")(probe_cmd.probe_command)
app.add_typer(data_cmd.app, name="data")
app.command("run")(run_cmd.run)
app.command("card")(card_cmd.card)
app.command("sft")(train_cmd.sft)
app.command("rl")(train_cmd.rl)
app.command("sample")(train_cmd.sample)
app.command("distill")(train_cmd.distill)
app.command("compare")(run_cmd.compare)
app.command("audit")(train_cmd.audit)
rewards_app = typer.Typer(help="Reward functions for RL.", no_args_is_help=True)
rewards_app.command("list")(train_cmd.rewards_list)
app.add_typer(rewards_app, name="rewards")


@app.command("validate")
@friendly_errors
def validate(recipe: str = typer.Argument(..., parser=given_recipe, help="Recipe YAML file.")) -> None:
    """Check a recipe without loading any model."""
    from safealign.config import load_recipe

    parsed = load_recipe(recipe)
    sections = {name: getattr(parsed, name) for name in ("sft", "rl", "sample", "distill")}
    stages = [name for name, section in sections.items() if section is not None and section.enabled]
    # distillation samples its traces first, with sample's defaults
    if "distill" in stages and "sample" not in stages:
        stages.insert(stages.index("distill"), "sample (its defaults)")
    # the path and the model as given: text, not Rich markup ("x[v2].yaml" lost its "[v2]", "o[/q]" raised)
    console.print(
        f"[green]✓[/] {escape(recipe)} is valid: model {escape(parsed.model.name)}, stages: "
        f"{', '.join(stages) or 'eval only'}"
    )
    if parsed.monitor is not None:  # `safealign run` does not use it: say which command does
        # quoted: the command is copied into a shell, where "my recipe.yaml" was two arguments
        hint = f"safealign monitor --recipe {shlex.quote(recipe)}"
        console.print(f"  monitor section: read by `{hint}`", markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()
