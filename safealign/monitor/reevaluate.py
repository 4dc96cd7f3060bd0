"""`safealign monitor evaluate`: re-run the eval suites against the deployed model on a schedule.

Judging live traffic shows how the model behaves on what users send; a fixed suite run every hour
shows whether the deployment changed (a new checkpoint, a new system prompt, a quantised server).
Each run's summary goes to ``eval_runs``; a refusal-rate drop on harmful requests or an over-refusal
rise on benign ones beyond the tolerance, compared with the previous run or with the reference run (the first
of the schedule, or ``--baseline``: a slow decline never breaks the tolerance between two runs), is stored as an
alert when it is also at least ``min_items`` items of the suite (``--limit`` caps each of a suite's two splits: with ``--limit 8``
a suite scores 16 items and one answer is 6.25 points, so a 5-point tolerance alone would alert on a single flipped
answer; the RL gates use the same floor). The answers are graded by the monitor's judge set (``monitor.judge``,
``--judge``), which each run records in its summary: a rate compared with a run graded by other judges is named so.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from safealign.config.base import without_passwords
from safealign.errors import SafealignError
from safealign.evals.regression import RateChange, regressions
from safealign.judges import shown_judge_spec
from safealign.monitor.alerts import Notifier
from safealign.monitor.queries import eval_run, previous_eval_run, stored_upstream
from safealign.monitor.security import redact_url
from safealign.monitor.store import Store, eval_runs, fit_to_column
from safealign.monitor.worker import load_judges

log = logging.getLogger(__name__)

# (key in the summary, key of its item count, direction that is bad): a refusal drop on harmful prompts,
# an over-refusal rise on borderline ones.
WATCHED = (("harmful_refusal_rate", "harmful_items", -1), ("over_refusal_rate", "over_refusal_items", +1))
# (headline key, its item count's key, the suite kind it is read from, the metric names it is read from, in order)
HEADLINES = (
    ("harmful_refusal_rate", "harmful_items", "harmful", ("refusal_rate",)),
    ("over_refusal_rate", "over_refusal_items", "borderline", ("over_refusal_rate", "refusal_rate")),
)


def parse_interval(text: str) -> float:
    """Seconds in '90s', '30m', '1h', '1d' (a bare number is seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise SafealignError(
            f"--every {text!r} is not an interval like 90s, 30m, 1h or 1d (a number, then s, m, h or d)"
        )
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _as_dict(result: Any) -> Any:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    if hasattr(result, "model_dump"):
        return result.model_dump()
    return result


def flatten_metrics(result: Any, prefix: str = "") -> dict[str, float]:
    """Every numeric leaf of an eval result as ``path.to.metric -> value``."""
    data, out = _as_dict(result), {}
    if isinstance(data, dict):
        for key, value in data.items():
            out |= flatten_metrics(value, f"{prefix}{key}.")
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            name = value.get("suite") or value.get("name") if isinstance(value, dict) else None
            out |= flatten_metrics(value, f"{prefix}{name or index}.")
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[prefix.rstrip(".")] = float(data)
    return out


def summarize(result: Any) -> dict[str, float]:
    """Flat ``suite.metric -> value`` plus the two headline rates the regression check and the dashboard read.

    An :class:`~safealign.evals.EvalReport` gives its ``summary()`` (values over all splits), and its headline rates
    come from its suites' kinds: every ``harmful`` suite (``harmful_dev``, ``harmbench``, a ``harmful:FILE`` suite)
    and every ``borderline`` one, pooled by items. Any other result (a dict, a dataclass) is flattened to its numeric
    leaves, and the headline rates are read from the suites named ``harmful`` and ``borderline``.
    """
    if callable(getattr(result, "summary", None)):
        flat = flatten_metrics(result.summary())
        for key in ("wall_time_s", "tokens_generated"):
            if isinstance(getattr(result, key, None), (int, float)):
                flat[key] = float(getattr(result, key))
    else:
        flat = flatten_metrics(result)
    suites = getattr(result, "suites", None)
    if isinstance(suites, dict) and all(hasattr(suite, "kind") for suite in suites.values()):
        return flat | _headlines_by_kind(suites)

    def pick(suite: str, names: tuple[str, ...]) -> float | None:
        # in the names' order: a suite's over_refusal_rate before its refusal_rate, wherever the dict has it
        for name in names:
            for key, value in flat.items():
                parts = key.split(".")
                if suite in parts and parts[-1] == name:
                    return value
        return None

    summary = dict(flat)
    for key, _, kind, names in HEADLINES:
        if (value := pick(kind, names)) is not None:
            summary[key] = value
    return summary


def _headlines_by_kind(suites: dict[str, Any]) -> dict[str, float]:
    """The headline rates, each pooled over every suite of its kind and weighted by items, with their item counts."""
    out = {}
    for key, items_key, kind, names in HEADLINES:
        rates = []
        for suite in suites.values():
            overall = getattr(suite, "metrics", {}).get("all", {}) if suite.kind == kind else {}
            rate = next((overall[name] for name in names if name in overall), None)
            if rate is not None:
                rates.append(rate)
        if not rates:
            continue
        items = sum(rate.n for rate in rates)
        out[key] = sum(rate.value * rate.n for rate in rates) / items if items else rates[0].value
        out[items_key] = float(items)
    return out


def compare_runs(
    previous: dict[str, float] | None, current: dict[str, float], tolerance: float, min_items: int = 2
) -> list[str]:
    """Regressions of ``current`` against ``previous``, one sentence each (empty: no regression).

    A change past ``tolerance`` counts only when it is at least ``min_items`` items of the current
    run's suite; a summary without item counts (an older run, a plain dict) is judged on the rate alone.
    """
    return [
        change.describe(min_items, percent=False)
        for change in regressed(previous, current, tolerance, min_items)
    ]


def regressed(
    previous: dict[str, float] | None, current: dict[str, float], tolerance: float, min_items: int = 2
) -> list[RateChange]:
    """The changes behind :func:`compare_runs`' sentences."""
    if not previous:
        return []
    changes = [
        RateChange(key, previous[key], current[key], int(current.get(items_key, 0)), tolerance, bad_direction)
        for key, items_key, bad_direction in WATCHED
        if previous.get(key) is not None and current.get(key) is not None
    ]
    found, under_floor = regressions(changes, min_items)
    for change in under_floor:
        log.info("not a regression, under the item floor: %s", change.describe(min_items, percent=False))
    return found


def baselines(
    previous: dict[str, Any] | None, reference: dict[str, Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The runs a new run is compared with, each with its name in the regression sentences: the previous run, which
    catches a sudden change, and the reference run, which catches a slow decline of a few points a run (one run when
    they are the same)."""
    named = [("previous run", previous), ("reference run", reference)]
    if previous is not None and reference is not None and previous["id"] == reference["id"]:
        named = [("previous and reference run", previous)]
    return [(name, run) for name, run in named if run is not None]


def _key_hint(api_key: str | None) -> str:
    """What to do about an upstream's 401 or 403 (never the key itself)."""
    if api_key:
        return "the upstream refused the key given (--api-key or SAFEALIGN_API_KEY): check it"
    return "the upstream needs a key: give --api-key KEY (or set SAFEALIGN_API_KEY)"


def _server_hint(upstream: str) -> str:
    """What to do when the upstream is not there or not well (the advice EndpointGenerator gives): --model would not
    help, the next request goes to the same server."""
    return f"is the server running? check with: curl {redact_url(upstream.rstrip('/'))}/v1/models"


def upstream_model(upstream: str, api_key: str | None = None) -> str:
    """The first model id the upstream lists (what `evaluate` uses when no --model is given)."""
    from safealign.judges.openai_rubric import RubricJudgeError, header_safe_key

    url = upstream.rstrip("/") + "/v1/models"
    try:  # a key's last newline (a secret's file) failed the listing with an error quoting the whole key
        api_key = header_safe_key(api_key)
    except RubricJudgeError:
        raise SafealignError(
            "the API key given for the upstream (--api-key or SAFEALIGN_API_KEY) holds a character an HTTP header "
            "cannot carry (a control character or a non-ASCII letter): copy the key again"
        ) from None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=10)
        if response.status_code in (401, 403):
            raise SafealignError(
                f"{redact_url(url)} answered HTTP {response.status_code}: {_key_hint(api_key)}"
            )
        if response.status_code >= 500:
            raise SafealignError(
                f"{redact_url(url)} answered HTTP {response.status_code}, a server error; {_server_hint(upstream)}"
            )
        response.raise_for_status()
        listing = response.json()
    except (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError) as error:
        # no server there, a silent one, or one that dropped the connection
        reason = without_passwords(str(error)) or type(error).__name__
        raise SafealignError(f"cannot reach {redact_url(url)} ({reason}); {_server_hint(upstream)}") from None
    except httpx.HTTPStatusError as error:  # a 4xx or a redirect; its text holds the URL, password and all
        raise SafealignError(
            f"could not list models at {redact_url(url)} (HTTP {error.response.status_code}); pass --model NAME"
        ) from None
    except (httpx.HTTPError, ValueError) as error:
        raise SafealignError(
            f"could not list models at {redact_url(url)} ({without_passwords(str(error))}); pass --model NAME"
        ) from None
    models = listing.get("data") if isinstance(listing, dict) else None
    first = models[0] if isinstance(models, list) and models else None
    if not isinstance(first, dict) or not isinstance(first.get("id"), str) or not first["id"]:
        raise SafealignError(
            f'{redact_url(url)} lists no model (expected {{"data": [{{"id": NAME}}, ...]}}, got '
            f"{json.dumps(listing)[:200]}); pass --model NAME"
        )
    return first["id"]


def default_runner(
    upstream: str,
    model: str,
    suites: list[str],
    limit: int | None,
    api_key: str | None = None,
    judges: Any = "default",
) -> Any:
    """Run the suites through ``safealign.evals`` against the upstream's OpenAI-compatible API, graded by ``judges``:
    a judge spec (``monitor.judge``, ``import:`` included) or a judge set built from one."""
    try:
        from safealign.evals import EndpointError, EndpointGenerator, run_eval  # type: ignore[attr-defined]
    except ImportError:
        raise SafealignError(
            "safealign.evals (run_eval, EndpointGenerator) is not available in this install"
        ) from None
    keyed = {"api_key": api_key} if api_key else {}  # only when given: a stand-in generator need not take it
    generator = EndpointGenerator(upstream.rstrip("/"), model, **keyed)
    options: dict[str, Any] = {"limit": limit} if limit else {}
    if judges != "default":  # run_eval builds the default judges itself, and only when a safety suite runs
        options["judges"] = load_judges(judges) if isinstance(judges, str) else judges
    try:
        return run_eval(generator, suites, **options)
    except EndpointError as error:
        if re.search(r"answered HTTP 40[13]\b", str(error)):  # the endpoint's message for a 401 or 403
            raise SafealignError(f"{error}; {_key_hint(api_key)}") from None
        raise


def _warn_of_cut_names(upstream: str, model: str) -> None:
    """Say when the store keeps only the start of the model or upstream: runs are matched on what it keeps, so another
    name that starts the same is taken for this one."""
    for column, value in ((eval_runs.c.model, model), (eval_runs.c.upstream, upstream)):
        kept = len(fit_to_column(column, value))
        if kept < len(value):
            log.warning(
                "the %s is %d characters and the store keeps its first %d: this run is compared with the runs whose %s "
                "starts with the same %d, another %s among them; give a shorter name to keep them apart",
                column.name,
                len(value),
                kept,
                column.name,
                kept,
                column.name,
            )


def evaluate_once(
    store: Store,
    upstream: str,
    model: str | None,
    suites: list[str],
    limit: int | None = None,
    tolerance: float = 0.05,
    notifier: Notifier | None = None,
    runner: Callable[..., Any] | None = None,
    min_items: int = 2,
    baseline: int | None = None,
    api_key: str | None = None,
    judge: str = "default",
) -> dict[str, Any]:
    """One eval run: run, store the summary, compare with the previous run of the same upstream, model, suites and
    ``limit`` and with the reference run (run ``baseline``, else the first such run), alert on a regression.

    ``runner(upstream, model, suites, limit)`` runs the suites (default: :func:`default_runner`); ``api_key`` is the
    upstream's bearer token, for the model listing and the default runner; ``judge`` is the spec of the judges that
    grade the run (the default runner's, and the one a custom runner was given), stored in the summary."""
    runner = runner or functools.partial(default_runner, api_key=api_key, judges=judge)
    model = model or upstream_model(upstream, api_key)
    _warn_of_cut_names(stored_upstream(upstream), model)
    previous = previous_eval_run(store, upstream, model, suites, limit)
    reference = (
        reference_run(store, baseline, suites, limit)
        if baseline is not None
        else previous_eval_run(store, upstream, model, suites, limit, first=True)
    )
    started = time.perf_counter()
    summary: dict[str, Any] = summarize(runner(upstream, model, suites, limit))
    summary["wall_s"] = round(time.perf_counter() - started, 2)
    summary["judge"] = shown_judge_spec(judge)
    for key, _, kind, _ in HEADLINES:
        if key not in summary:
            log.warning(
                "no suite of kind %s in --suites %s: %s is not watched for regressions; add one, e.g. %s or %s:FILE.jsonl",
                kind,
                ",".join(suites),
                key,
                kind,
                kind,
            )
    against = baselines(previous, reference)
    for name, run in against:
        if graded_by(run) != summary["judge"]:
            log.warning(
                "%s #%d was graded by judge %s, this run by %s: their rates differ by judge too; once a run of this "
                "judge is the norm, give --baseline with its id",
                name,
                run["id"],
                graded_by(run),
                summary["judge"],
            )
    found = [
        (name, run, change)
        for name, run in against
        for change in regressed(run["summary"], summary, tolerance, min_items)
    ]
    problems = describe_regressions(found, min_items, summary["judge"])
    run_id = store.add_eval_run(
        upstream=stored_upstream(upstream),
        model=model,
        suites=suites,
        item_limit=limit,
        summary=summary,
        regression=bool(problems),
        notes="; ".join(problems),
    )
    if found:
        worst = max((change for _, _, change in found), key=lambda change: change.worsening)
        # The fired alerts' fields: the worst change's rate now, the tolerance it broke and the items behind the rate.
        payload = {
            "rule": "eval_regression",
            "kind": "regression",
            "metric": worst.name,
            "value": worst.after,
            "threshold": tolerance,
            "samples": worst.items,
            "message": f"eval run #{run_id} regressed " + "; ".join(problems),
        }
        delivered = (notifier or Notifier()).send(payload)
        store.add_alert(**payload, delivered=delivered)
    log.info(
        "eval run #%d: %s",
        run_id,
        {k: summary[k] for k in ("harmful_refusal_rate", "over_refusal_rate") if k in summary},
    )
    return {
        "id": run_id,
        "model": model,
        "judge": summary["judge"],
        "summary": summary,
        "regressions": problems,
    }


def graded_by(run: dict[str, Any]) -> str:
    """The judge spec an eval run was graded by; a run stored before runs recorded it was graded by the default
    judges (`monitor evaluate` used no other then)."""
    return str((run["summary"] or {}).get("judge", "default"))


def describe_regressions(
    found: list[tuple[str, dict[str, Any], RateChange]], min_items: int, judge: str = "default"
) -> list[str]:
    """One sentence per regressed rate and starting value, naming the run(s) it is against: ``vs previous run #5:
    harmful_refusal_rate 0.900 → 0.700 (...)``; the same change against both runs (their rates were equal) is one.
    A run graded by judges other than ``judge`` (this run's) is named with them: ``vs reference run #1 (graded by
    default, this run by llama-guard:/models/guard): ...``."""
    grouped: dict[tuple[str, float], list[tuple[str, dict[str, Any], RateChange]]] = {}
    for name, run, change in found:
        grouped.setdefault((change.name, change.before), []).append((name, run, change))
    sentences = []
    for group in grouped.values():
        against = " and ".join(f"{name} #{run['id']}{_other_judge(run, judge)}" for name, run, _ in group)
        sentences.append(f"vs {against}: {group[0][2].describe(min_items, percent=False)}")
    return sentences


def _other_judge(run: dict[str, Any], judge: str) -> str:
    return "" if graded_by(run) == judge else f" (graded by {graded_by(run)}, this run by {judge})"


def reference_run(store: Store, run_id: int, suites: list[str], limit: int | None) -> dict[str, Any]:
    """Eval run ``run_id`` (``--baseline``), when it ran the same suites and ``--limit``: other rates are not comparable."""
    run = eval_run(store, run_id)
    if run is None:
        raise SafealignError(
            f"--baseline {run_id}: no eval run #{run_id} in this database; give the id of a run "
            "`monitor evaluate` printed (eval run #N), or leave --baseline out to compare with the first run"
        )
    if list(run["suites"] or []) != list(suites) or run["item_limit"] != limit:
        raise SafealignError(
            f"--baseline {run_id}: run #{run_id} ran --suites {','.join(run['suites'] or [])} with --limit "
            f"{run['item_limit']}, this schedule --suites {','.join(suites)} with --limit {limit}; give a "
            "run of the same suites and limit"
        )
    return run


def evaluate_every(
    interval_s: float, run: Callable[[], dict[str, Any]], stop_after: int | None = None
) -> None:
    """Call ``run`` every ``interval_s`` seconds. A failed first run (any error) stops it with a SafealignError, so that
    the command exits non-zero: a wrong URL, model or suite is the likely cause, and the user is still watching. A later
    failure, say the model server restarting for a deploy, is logged and the schedule goes on."""
    done = 0
    while stop_after is None or done < stop_after:
        started = time.monotonic()
        try:
            run()
        except SafealignError as error:
            if done == 0:
                raise
            log.error("eval run failed: %s; next run in %.0fs", error, interval_s)
        except Exception as error:
            if done == 0:
                log.debug("eval run failed", exc_info=True)
                raise SafealignError(
                    f"eval run failed: {type(error).__name__}: {' '.join(str(error).split())[:300]}; "
                    "check --upstream, --model and --suites"
                ) from error
            log.exception("eval run failed; next run in %.0fs", interval_s)
        done += 1
        if stop_after is not None and done >= stop_after:
            break
        time.sleep(max(0.0, interval_s - (time.monotonic() - started)))
