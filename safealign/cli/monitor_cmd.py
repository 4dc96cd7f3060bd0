"""`safealign monitor`: the judging gateway, and `safealign monitor evaluate` for scheduled eval runs."""

from __future__ import annotations

import functools
import shlex
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from safealign.cli.common import (
    api_url,
    check_can_listen,
    console,
    err_console,
    friendly_errors,
    given_path,
    option_given,
)
from safealign.errors import SafealignError

app = typer.Typer(
    help="Guard a deployed model: an OpenAI-compatible gateway that stores and judges every exchange.",
    invoke_without_command=True,
)


# `monitor evaluate --every`'s floor: a shorter interval than one eval run (minutes) would run them back to back
MIN_EVAL_INTERVAL_S = 60.0
# ...and its ceiling: a year. Past ~292 years the pause between runs overflowed time.sleep, a traceback after the first
# run; a rarer schedule is cron's, with --once.
MAX_EVAL_INTERVAL_S = 365 * 86400.0
# `monitor judge --once` stops judging after this (a cron job's run must end); what it had no time for is said, exit 1
ONCE_TIMEOUT_S = 3600.0
# --retention-days' default, the gateway's and `monitor judge`'s alike
RETENTION_DAYS = 30
# options named otherwise than their MonitorConfig field
OPTION_OF_FIELD = {
    "judge_batch_size": "batch_size",
    "eval_suites": "suites",
    "eval_limit": "limit",
    "regression_tolerance": "tolerance",
    "regression_min_items": "min_items",
}
# The judge set of every monitor command that takes --judge (the gateway, `judge`, `evaluate`), as the gateway passes
# it to its worker (worker.JUDGE_ENV): set for `monitor judge` only, the gateway gave its worker "default" over it and
# `monitor evaluate` graded with "default" while the traffic was judged with the set the variable named.
JUDGE_ENV = "SAFEALIGN_MONITOR_JUDGE"
# "\[" keeps rich from reading "[#MODEL]" as markup and printing nothing of it.
JUDGE_HELP = (
    "Judge set: default (CPU judges), llama-guard:PATH, openai:URL\\[#MODEL] (a rubric graded by an OpenAI-compatible "
    "server; model gpt-4o-mini unless #MODEL; API key from SAFEALIGN_JUDGE_API_KEY, or OPENAI_API_KEY for *.openai.com "
    "hosts only), or import:module:factory."
)
RECIPE_HELP = (
    "Recipe YAML whose monitor: section gives the settings (options given here, or by their environment variables, "
    "override it; see docs/recipe.md)."
)


def _config(ctx: typer.Context, recipe: Path | None, **fields: Any) -> Any:
    """The MonitorConfig: the recipe's ``monitor:`` section when ``--recipe`` is given, with each option given on the
    command line (or by its environment variable) over it; without a recipe, the options and their defaults."""
    from pydantic import ValidationError

    from safealign.config import load_recipe
    from safealign.config.base import format_validation_error, without_userinfo
    from safealign.config.sections import MonitorConfig
    from safealign.errors import RecipeError

    base: dict[str, Any] = {}
    if recipe is not None:
        section = load_recipe(recipe, runs_rl=False).monitor  # the monitor trains nothing: no RL stage warnings
        if section is None:
            raise RecipeError(
                f"{recipe} has no monitor: section: add one (see docs/recipe.md), or drop --recipe and give options"
            )
        base = section.model_dump(exclude_unset=True)
    given = {
        field: value
        for field, value in fields.items()
        if recipe is None or option_given(ctx, OPTION_OF_FIELD.get(field, field))
    }
    given = {field: value for field, value in given.items() if value is not None}
    try:
        return MonitorConfig(**base | given)
    except ValidationError as error:
        where = f"{recipe} (monitor) with the options given" if recipe is not None else "monitor options"
        message = str(format_validation_error(error, MonitorConfig, where))
        # A refused URL is quoted back: without a scheme (bob:pw@host:8000), without_passwords (below) misses its password
        for field in ("db", "upstream", "webhook"):
            if isinstance(url := (base | given).get(field), str):
                message = message.replace(url, without_userinfo(url))
        raise RecipeError(
            _named_by_flag(message, error, {field: _flag(ctx, field) for field in given})
        ) from None


def _flag(ctx: typer.Context, field: str) -> str:
    """How the user gave the option of MonitorConfig ``field``: ``--batch-size``, or the variable that set it."""
    option = OPTION_OF_FIELD.get(field, field)
    flag = "--" + option.replace("_", "-")
    if getattr(ctx.get_parameter_source(option), "name", None) == "ENVIRONMENT":
        envvar = next(param.envvar for param in ctx.command.params if param.name == option)
        return f"{flag} (${envvar})"
    return flag


def _named_by_flag(message: str, error: Any, flags: dict[str, str]) -> str:
    """``format_validation_error``'s message (a line per problem, in order), with a value from the command line
    named by the flag typed (``--limit 0``), not by the recipe field it fills (``eval_limit = 0``)."""
    lines = message.split("\n")
    for line, item in enumerate(error.errors(), start=1):
        field = item["loc"][0] if len(item["loc"]) == 1 else None
        if field in flags and lines[line].startswith(f"  {field} = "):
            lines[line] = f"  {flags[field]} " + lines[line].removeprefix(f"  {field} = ")
    return "\n".join(lines)


def _monitor_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``friendly_errors``, with safealign's errors printed as plain text: they quote the files given (an alerts file,
    a recipe), whose ":x:" rich turned into an emoji (``--alerts /etc/passwd`` printed "root❌0:0"), and the URLs given
    without their passwords (``--db postgres://bob:pw@host/db`` was refused for its scheme with the password shown)."""

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SafealignError as error:
            from safealign.config.base import without_passwords

            err_console.print(
                f"[bold red]error:[/] {escape(without_passwords(str(error)))}",
                highlight=False,
                markup=True,
                emoji=False,
            )
            raise typer.Exit(2) from None

    return friendly_errors(plain)


@app.callback()
def gateway(
    ctx: typer.Context,
    upstream: str | None = typer.Option(
        None, help="URL of the OpenAI-compatible model server, e.g. http://127.0.0.1:8000."
    ),
    db: str = typer.Option(
        "sqlite:///runs/monitor.db", help="SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://..."
    ),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="TCP port."),
    blocking: bool = typer.Option(
        False,
        "--blocking/--pass-through",
        help="Judge before answering; replace harmful answers with a refusal.",
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="SAFEALIGN_MONITOR_KEY", help="Key for /dashboard, /admin/*."
    ),
    alerts: str | None = typer.Option(
        None, "--alerts", help="Alert rules YAML (see recipes/monitor_alerts.yaml)."
    ),
    webhook: str | None = typer.Option(None, help="POST alerts here as JSON."),
    judge: str = typer.Option("default", envvar=JUDGE_ENV, help=JUDGE_HELP),
    retention_days: int = typer.Option(RETENTION_DAYS, help="Delete exchanges older than this."),
    upstream_connections: int = typer.Option(64, help="Most concurrent connections to the upstream."),
    worker: str = typer.Option("process", help="Judge worker: process (a child process), thread, or none."),
    recipe: Path | None = typer.Option(None, "--recipe", parser=given_path, metavar="<path>", help=RECIPE_HELP),
) -> None:
    """Run the gateway (when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        # The gateway's options do not reach a subcommand, which would run on its own defaults (another --db: the
        # queued exchanges left unjudged, a new database made in the current folder).
        misplaced = [
            name
            for name in (
                "upstream",
                "db",
                "host",
                "port",
                "blocking",
                "api_key",
                "alerts",
                "webhook",
                "judge",
                "retention_days",
                "upstream_connections",
                "worker",
                "recipe",
            )
            if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
        ]
        if misplaced:
            flags = ", ".join("--" + name.replace("_", "-") for name in misplaced)
            raise typer.BadParameter(
                f"{flags} {'goes' if len(misplaced) == 1 else 'go'} after the subcommand: "
                f"safealign monitor {ctx.invoked_subcommand} {flags.split(', ')[0]} ... "
                f"(see safealign monitor {ctx.invoked_subcommand} --help for the options it takes)"
            )
        return
    _monitor_errors(_gateway)(
        ctx,
        recipe,
        upstream=upstream,
        db=db,
        host=host,
        port=port,
        blocking=blocking,
        api_key=api_key,
        alerts=alerts,
        webhook=webhook,
        judge=judge,
        retention_days=retention_days,
        upstream_connections=upstream_connections,
        worker=worker,
    )


def _gateway(ctx: typer.Context, recipe: Path | None, **options: Any) -> None:
    from safealign.monitor import create_gateway
    from safealign.monitor.security import redact_url
    from safealign.serve import run_server

    config = _config(ctx, recipe, **options)
    if not config.upstream:
        raise typer.BadParameter(
            "give --upstream URL (the model server to guard)"
            + (f", or set monitor.upstream in {recipe}" if recipe else "")
        )
    check_can_listen(config.host, config.port)
    if config.worker == "none" and (unused := _worker_options(ctx, config)):
        # The judging, the alert rules, their webhook and the retention purge are the judge worker's: with none started,
        # these reached only the dashboard's list of rules and POST /admin/purge, and the `monitor judge` run beside the
        # gateway judged with its default judges, no rules and its own 30 days, without a word.
        purge = " (POST /admin/purge applies --retention-days now)" if "--retention-days" in unused else ""
        err_console.print(
            f"[yellow]{', '.join(unused)} with --worker none:[/] this gateway starts no judge worker, which is what "
            "judges the traffic, evaluates the alert rules, calls their webhook and deletes old exchanges; the judge "
            f"worker you run takes its own: start it as `safealign monitor judge {escape(' '.join(unused.values()))}`{purge}",
            highlight=False,
            markup=True,
        )
    app = create_gateway(config)
    shown = f"{redact_url(config.upstream)} ({'blocking' if config.blocking else 'pass-through'}), db {redact_url(config.db)}"
    # run_server logs "ready" once the port is bound: it may have been taken while the judges loaded
    err_console.print(f"[green]starting monitor[/] {escape(f'{api_url(config.host, config.port)} → {shown}')}")
    run_server(app, config.host, config.port, grace_s=None)  # None: open requests finish (uvicorn's default)


def _worker_options(ctx: typer.Context, config: Any) -> dict[str, str]:
    """The judge worker's settings given to a gateway that starts none (``--worker none``), each flag with the option
    to give `monitor judge`. A judge set from $SAFEALIGN_MONITOR_JUDGE is left out: that run reads it too. A webhook's
    URL is not shown (a Slack one is its secret)."""
    from safealign.judges import shown_judge_spec

    judge_from_env = getattr(ctx.get_parameter_source("judge"), "name", None) == "ENVIRONMENT"
    given = {
        "--judge": f"--judge {shlex.quote(shown_judge_spec(config.judge))}"
        if config.judge != "default" and not judge_from_env
        else "",
        "--alerts": f"--alerts {shlex.quote(config.alerts)}" if config.alerts else "",
        "--webhook": "--webhook URL" if config.webhook else "",
        "--retention-days": f"--retention-days {config.retention_days}"
        if config.retention_days != RETENTION_DAYS
        else "",
    }
    return {flag: option for flag, option in given.items() if option}


@app.command("judge")
def judge_worker(
    ctx: typer.Context,
    db: str = typer.Option(
        "sqlite:///runs/monitor.db",
        envvar="SAFEALIGN_MONITOR_DB",
        help="The gateway's database (the gateway passes it to its worker in the environment, not argv).",
    ),
    judge: str = typer.Option("default", envvar=JUDGE_ENV, help=JUDGE_HELP),
    alerts: str | None = typer.Option(
        None,
        "--alerts",
        help="Alert rules YAML, evaluated after each judged batch, every 5 s when idle, and as --once ends.",
    ),
    webhook: str | None = typer.Option(
        None, envvar="SAFEALIGN_MONITOR_WEBHOOK", help="POST alerts here as JSON."
    ),
    batch_size: int = typer.Option(32, help="Exchanges judged per batch."),
    retention_days: int = typer.Option(
        RETENTION_DAYS,
        help="Delete exchanges older than this (checked hourly; with --once, as it ends, only when given here or in "
        "the recipe).",
    ),
    once: bool = typer.Option(False, "--once", help="Judge what is queued now, then exit."),
    release_leases: bool = typer.Option(
        False,
        "--release-leases",
        help="First free the leases a crashed worker left, so its exchanges are judged now instead of when the leases "
        "expire. Only when no other worker runs on this database (it would judge them twice).",
    ),
    parent_pid: int | None = typer.Option(
        None, hidden=True, help="Exit when this process is no longer the parent."
    ),
    recipe: Path | None = typer.Option(None, "--recipe", parser=given_path, metavar="<path>", help=RECIPE_HELP),
) -> None:
    """Judge queued exchanges (the gateway starts this itself unless --worker thread|none)."""
    _monitor_errors(_judge_worker)(
        ctx, recipe, db, judge, alerts, webhook, batch_size, retention_days, once, release_leases, parent_pid
    )


def _judge_worker(
    ctx, recipe, db, judge, alerts, webhook, batch_size, retention_days, once, release_leases, parent_pid
) -> None:
    import sqlalchemy as sa

    from safealign.judges import shown_judge_spec
    from safealign.monitor.alerts import AlertConfig, AlertManager, load_alert_config
    from safealign.monitor.security import redact_url
    from safealign.monitor.store import Store
    from safealign.monitor.worker import JudgeWorker, load_judges

    config = _config(
        ctx,
        recipe,
        db=db,
        judge=judge,
        alerts=alerts,
        webhook=webhook,
        judge_batch_size=batch_size,
        retention_days=retention_days,
    )
    store = Store(config.db)
    missing = store.created  # the SQLite file or folders opening it made
    try:  # after the store: a bad --db fails before a judge model loads
        alert_config = load_alert_config(config.alerts) if config.alerts else AlertConfig()
        judges = load_judges(config.judge)
    except BaseException:
        store.discard()  # refused: a new database goes with the start, as the gateway's
        raise
    if once and missing is not None:
        # A new database holds nothing to judge: a typo, or a cron job in another folder (the default is relative), made
        # one and said "judged 0 exchanges", exit 0. A running worker may start first: the gateway makes the same file.
        store.discard()
        raise SafealignError(
            f"--db {redact_url(config.db)}: {missing} does not exist, so there is nothing to judge; give the gateway's "
            "--db (a sqlite:///FILE path without a leading / is read from the current folder)"
        )
    if config.webhook:
        alert_config = alert_config.model_copy(update={"webhook": config.webhook})
    worker = JudgeWorker(
        store,
        judges,
        AlertManager(store, alert_config),
        batch_size=config.judge_batch_size,
        retention_days=config.retention_days,
    )
    if once:
        try:
            if release_leases:
                err_console.print(f"freed {store.release_leases()} leases")
            judged = worker.drain(timeout_s=ONCE_TIMEOUT_S, queued_now=True)
        # a database locked past the 30 s wait (or down) ended a cron job's run in SQLAlchemy's traceback
        except sa.exc.OperationalError as error:
            raise SafealignError(_database_failed(config.db, error, worker.judged)) from None
        err_console.print(f"judged {judged} exchanges")
        # The long-running worker purges hourly; --once did not, so a cron job's --retention-days deleted nothing, ever.
        # Only a retention given to it: one left at its default deleted nothing, and still does.
        given = option_given(ctx, "retention_days") or (recipe is not None and "retention_days" in config.model_fields_set)
        purge_failed = given and not _purge_once(store, config.retention_days)
        if worker.left and worker.judges_down:
            err_console.print(
                f"[red]the judges are down (they fail on a plain exchange too; the error is logged above): stopped with "
                f"{worker.left} exchanges still queued[/]: run this again once they are back"
            )
        elif worker.left:
            err_console.print(
                f"[red]stopped after {ONCE_TIMEOUT_S:g} s with {worker.left} exchanges still queued[/] (the judges "
                "are slower than this backlog needs): run this again to judge them"
            )
        if worker.failed:
            err_console.print(
                f"[red]{worker.failed} exchanges failed {worker.max_attempts} times and are marked judge_failed[/] "
                "(the errors are logged above, and each one's is kept in its judge_error column and export field)"
            )
        if worker.retrying:
            err_console.print(
                f"[yellow]{len(worker.retrying)} exchanges failed this time[/] (the errors are logged above) and stay "
                "leased for another attempt: run this again after the lease, or now with --release-leases"
            )
        _report_leased(store, own=len(worker.retrying))
        if worker.failed or worker.retrying or worker.left or purge_failed:  # a cron job sees what was left undone
            raise typer.Exit(1)
        return
    if release_leases:
        err_console.print(f"freed {store.release_leases()} leases")
    err_console.print(
        f"[green]judge worker[/] on {escape(redact_url(config.db))} ({escape(shown_judge_spec(config.judge))}), "
        f"{store.backlog()} exchanges queued"
    )
    # SIGTERM (the gateway stopping) and Ctrl-C let the current batch finish and commit.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    worker.run_forever(parent_pid)


def _purge_once(store: Any, retention_days: int) -> bool:
    """`monitor judge --once`'s retention purge, said; False (said why) when the database failed under it."""
    import sqlalchemy as sa

    try:
        deleted = store.purge(retention_days)
    except sa.exc.OperationalError as error:
        reason = getattr(error, "orig", None) or error
        err_console.print(
            f"[red]--retention-days {retention_days}: the purge of older exchanges failed[/] "
            f"({escape(type(reason).__name__)}: {escape(' '.join(str(reason).split())[:200])}); the verdicts are "
            "stored, and what it did not delete is deleted by the next run",
            highlight=False,
        )
        return False
    err_console.print(f"deleted {deleted} exchanges older than {retention_days} days (--retention-days)")
    return True


def _database_failed(db: str, error: Exception, judged: int) -> str:
    """What `monitor judge --once` says when the database fails under it: why, and that nothing queued is lost."""
    from safealign.monitor.security import redact_url

    reason = getattr(error, "orig", None) or error
    advice = (
        "another process held its write lock for 30 s (a long write, a backup, a sqlite3 shell inside a transaction): "
        "run this again once it is done"
        if "locked" in str(reason)
        else "check that the database is up and, for a SQLite file, still where --db says"
    )
    return (
        f"--db {redact_url(db)}: the database failed after {judged} exchanges were judged ({type(reason).__name__}: "
        f"{' '.join(str(reason).split())[:200]}); {advice}. The others stay queued: a batch this run had leased is "
        "judged again once its lease expires (or now with --release-leases)"
    )


def _report_leased(store, own: int = 0) -> None:
    """Say why exchanges are still queued after `--once`: another worker holds their leases, or a dead one did
    (``own``: the leases this worker kept on exchanges whose judging failed, said already)."""
    count, until = store.leased()
    count -= own
    if count > 0:
        err_console.print(
            f"[yellow]{count} queued exchanges are leased by another worker until {until:%Y-%m-%d %H:%M:%S} UTC[/]: a running "
            "gateway's worker is judging them; if none runs (it crashed), run this again after that time, or now with "
            "--release-leases."
        )


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    upstream: str | None = typer.Option(
        None, help="URL of the OpenAI-compatible model server to evaluate (required, here or in the recipe)."
    ),
    db: str = typer.Option(
        "sqlite:///runs/monitor.db", help="Database the gateway uses (runs land in eval_runs)."
    ),
    model: str | None = typer.Option(
        None, help="Model name at the upstream (default: the first one it lists)."
    ),
    every: str = typer.Option(
        "1h", help="Interval between runs: 90s, 30m, 1h, 1d (at least 1m, at most 365d)."
    ),
    suites: str = typer.Option("harmful,borderline", help="Comma-separated eval suites."),
    limit: int | None = typer.Option(
        None,
        help="At most this many items per suite and split (harmful and borderline have two splits: --limit 16 asks up to 32 of each). "
        "They are drawn with seed 0, the same items every run, so that runs compare: not the items `safealign eval --limit` "
        "draws with its default seed 42.",
    ),
    tolerance: float = typer.Option(
        0.05, help="Refusal drop / over-refusal rise that counts as a regression."
    ),
    min_items: int = typer.Option(2, min=1, help="...and only when it is at least this many suite items."),
    webhook: str | None = typer.Option(
        None, help="POST regression alerts here as JSON (default: the webhook of the recipe's monitor.alerts file)."
    ),
    judge: str = typer.Option(
        "default",
        envvar=JUDGE_ENV,
        help=JUDGE_HELP + " The judges that grade the answers, as the gateway's worker judges traffic.",
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        envvar="SAFEALIGN_API_KEY",
        help="Bearer token for the upstream, as `safealign eval` takes.",
    ),
    baseline: int | None = typer.Option(
        None,
        min=1,
        help="Eval run id to compare each run with, besides the previous run (default: the first run of the "
        "same upstream, model, suites and limit). Give a newer run to accept its rates as the norm.",
    ),
    once: bool = typer.Option(
        False,
        "--once",
        help="Run once and exit: code 1 when the run is a regression (its alert stored and sent first).",
    ),
    recipe: Path | None = typer.Option(None, "--recipe", parser=given_path, metavar="<path>", help=RECIPE_HELP),
) -> None:
    """Run the eval suites against the upstream on a schedule and alert on regressions."""
    _monitor_errors(_evaluate)(
        ctx,
        recipe,
        upstream,
        db,
        model,
        every,
        suites,
        limit,
        tolerance,
        min_items,
        webhook,
        judge,
        api_key,
        baseline,
        once,
    )


def _evaluate(
    ctx,
    recipe,
    upstream,
    db,
    model,
    every,
    suites,
    limit,
    tolerance,
    min_items,
    webhook,
    judge,
    api_key,
    baseline,
    once,
) -> None:
    from safealign.corpus.eval_texts import split_suites
    from safealign.monitor.alerts import Notifier, load_alert_config
    from safealign.monitor.reevaluate import default_runner, evaluate_every, evaluate_once, parse_interval
    from safealign.monitor.store import Store
    from safealign.monitor.worker import load_judges

    config = _config(
        ctx,
        recipe,
        upstream=upstream,
        db=db,
        eval_suites=split_suites(suites),  # an rg: setting's [a,b] list kept whole, as eval and data check do
        eval_limit=limit,
        regression_tolerance=tolerance,
        regression_min_items=min_items,
        webhook=webhook,
        judge=judge,
    )
    if not config.upstream:
        raise typer.BadParameter(
            "give --upstream URL (the model server to evaluate)"
            + (f", or set monitor.upstream in {recipe}" if recipe else "")
        )
    interval = parse_interval(every)
    if interval < MIN_EVAL_INTERVAL_S and not once:
        raise typer.BadParameter(
            f"--every {every!r} leaves no pause between eval runs (the floor is 1m); give an interval like 1h, "
            "or --once"
        )
    if interval > MAX_EVAL_INTERVAL_S and not once:
        raise typer.BadParameter(
            f"--every {every!r} is more than a year between eval runs; give at most 365d, or run --once from cron"
        )
    # The alerts file's webhook, as the gateway's worker sends there: a recipe's monitor.alerts reached no regression
    webhook = config.webhook or (load_alert_config(config.alerts).webhook if config.alerts else None)
    store = Store(config.db)
    # Built once for the schedule, not every run (a Llama Guard model takes a while to load); the default judges are
    # left to run_eval, which builds them only when a safety suite runs.
    try:
        judges = "default" if config.judge == "default" else load_judges(config.judge)
    except BaseException:
        store.discard()  # refused: a new database goes with the start, as the gateway's
        raise
    runner = functools.partial(default_runner, api_key=api_key, judges=judges)

    def run() -> dict:
        result = evaluate_once(
            store,
            config.upstream,
            model,
            config.eval_suites,
            config.eval_limit,
            config.regression_tolerance,
            Notifier(webhook),
            min_items=config.regression_min_items,
            baseline=baseline,
            api_key=api_key,
            judge=config.judge,
            runner=runner,
        )
        headline = {
            k: round(v, 3)
            for k, v in result["summary"].items()
            if k in ("harmful_refusal_rate", "over_refusal_rate")
        }
        console.print(
            f"eval run #{result['id']} ({escape(result['model'])}), judge {escape(result['judge'])}: {headline}"
            + (
                f" [red]regression: {escape('; '.join(result['regressions']))}[/]"
                if result["regressions"]
                else ""
            )
        )
        flagged[:] = result["regressions"]
        return result

    flagged: list[str] = []
    try:
        evaluate_every(interval, run, stop_after=1 if once else None)
    except BaseException:
        # only a first run's failure (or a stop) gets here: a new database it left empty goes, as a refused start's
        # does (a later `monitor judge --once` took it for the gateway's, and judged 0 exchanges, exit 0)
        store.discard()
        raise
    if flagged:
        # A deploy pipeline gates on the exit code; the alert is stored and the webhook called first.
        raise typer.Exit(1)
