"""`safealign models prepare|list`."""

from __future__ import annotations

import typer
from rich.markup import escape

from safealign.cli.common import console, friendly_errors, table
from safealign.models.embedded import (
    EMBEDDED_MODELS,
    cache_damage,
    cache_dir,
    gguf_path,
    is_prepared,
    prepare_embedded,
    stale_source,
)
from safealign.paths import models_cache

app = typer.Typer(help="Prepare and list models.", no_args_is_help=True)


@app.command("prepare")
@friendly_errors
def prepare(
    name: str = typer.Argument("smollm2-135m-instruct", help="Embedded model name."),
    force: bool = typer.Option(False, help="Convert again even when cached."),
) -> None:
    """Convert an embedded GGUF model into a safetensors folder in the cache (once)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if name.startswith("embedded:"):
        name = name.split(":", 1)[1]
    if name == "tiny" or name.startswith("tiny:"):
        from safealign.models import resolve_spec

        resolve_spec(name)  # "tiny:abc" is no spec: said, not "needs no preparation"
        console.print(
            f"[green]✓[/] {name} needs no preparation: it is built in memory (random weights, SmolLM2's tokenizer)"
        )
        return
    if name not in EMBEDDED_MODELS:
        raise typer.BadParameter(f"unknown embedded model {name!r}; available: {', '.join(EMBEDDED_MODELS)}")
    if is_prepared(name) and not force:
        console.print(f"[green]✓[/] embedded:{name} already prepared at {escape(str(cache_dir(name)))}")
        return
    if damage := cache_damage(name):
        console.print(
            f"[yellow]the cached embedded:{name} at {escape(str(cache_dir(name)))} is damaged ({escape(damage)}); "
            "converting it again[/]"
        )
    steps = ["reading", "de-quantizing", "writing"]
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"preparing embedded:{name}", total=len(steps))

        def on_step(message: str) -> None:
            bar.update(
                task,
                description=f"embedded:{name}: {message}",
                completed=min(len(steps), sum(s in message for s in steps) + bar.tasks[0].completed),
            )

        folder = prepare_embedded(name, force=force, on_step=on_step)
        bar.update(task, completed=len(steps), description=f"embedded:{name}: done")
    console.print(f"[green]✓[/] embedded:{name} → {escape(str(folder))}")


@app.command("list")
@friendly_errors
def list_models() -> None:
    """Show the embedded models, whether their package is installed, and what is cached."""
    rows, out_of_date = [], []
    for name, model in EMBEDDED_MODELS.items():
        try:
            gguf_path(name)
            installed = "yes"
        except Exception:
            installed = f"no — {model.install}"
        # the damage itself is said by `models prepare`, which converts it again
        if cache_damage(name):
            prepared = f"damaged — safealign models prepare {name}"
        # a whole cache of another build: "no" beside it in the cache line read as a bug
        elif stale := stale_source(name):
            prepared = f"out of date — safealign models prepare {name}"
            out_of_date.append(f"embedded:{name}: the cache at {cache_dir(name)} is out of date: {stale}")
        else:
            prepared = "yes" if is_prepared(name) else "no"
        rows.append([f"embedded:{name}", model.base_model, installed, prepared])
    rows.append(["tiny[:SEED]", "random init, real tokenizer (tests)", "built in", "-"])
    models = table("Models", ["spec", "what", "package installed", "prepared"], rows)
    models.columns[0].no_wrap = True  # a spec is copied into commands: never cut or folded
    models.columns[1].overflow = "fold"  # the Hub id, whole
    console.print(models)
    for line in out_of_date:
        console.print(line, style="yellow", markup=False, highlight=False)
    # name.tmp-<pid>: a conversion in progress, or one stopped (the next `models prepare` removes those)
    cached = sorted(
        p.name
        for p in models_cache().iterdir()
        if p.is_dir() and ".tmp-" not in p.name and not p.name.endswith(".tmp")
    )
    console.print(f"cache: {models_cache()} ({', '.join(cached) or 'empty'})", markup=False)
