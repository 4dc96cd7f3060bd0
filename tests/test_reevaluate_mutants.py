"""What `safealign monitor evaluate` decides from its scheduled runs, pinned where small changes of the code went
unnoticed by the other tests (review W's mutants): which run's item count a regression is judged on, which metric an
alert names when several regress, that a regressed run is stored as one, that a baseline asked at another --limit is
refused, that the headline reads the suite named `harmful` only; and that a `tiny:SEED` spec refuses a seed torch cannot take."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from safealign.errors import ModelNotFoundError, SafealignError
from safealign.models.specs import resolve_spec
from safealign.monitor import reevaluate
from safealign.monitor.queries import eval_run
from safealign.monitor.store import Store, alerts


def test_a_regression_is_judged_on_the_current_runs_item_count() -> None:
    # regressed() reading the previous run's item count would apply min_items to a file suite's old size
    changes = reevaluate.regressed(
        {"harmful_refusal_rate": 0.9, "harmful_items": 100.0},
        {"harmful_refusal_rate": 0.5, "harmful_items": 4.0},
        0.05,
        min_items=1,
    )
    assert [change.items for change in changes] == [4]


def _runner(rates: list[tuple[float, float]]):
    scheduled = iter(rates)

    def run(upstream: str, model: str, suites: list[str], limit: int | None) -> dict[str, Any]:
        harmful, over = next(scheduled)
        return {"harmful": {"refusal_rate": harmful}, "borderline": {"over_refusal_rate": over}}

    return run


def test_a_regressed_run_is_stored_as_one_and_its_alert_names_the_worst_change(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/m.db")
    run = _runner([(0.9, 0.1), (0.8, 0.5)])  # refusals -0.1, over-refusal +0.4: the second is the worse
    settings = dict(
        store=store,
        upstream="http://x",
        model="m",
        suites=["harmful", "borderline"],
        tolerance=0.05,
        min_items=0,
    )
    reevaluate.evaluate_once(runner=run, **settings)
    second = reevaluate.evaluate_once(runner=run, **settings)
    assert second["regressions"]
    assert eval_run(store, second["id"])[
        "regression"
    ]  # stored as regression=False, the dashboard showed it clean
    with store.engine.connect() as conn:
        alert = conn.execute(sa.select(alerts)).mappings().all()[-1]
    assert alert["metric"] == "over_refusal_rate"  # min() instead of max() named the smaller change


def test_a_baseline_asked_at_another_limit_is_refused(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/m.db")
    run_id = store.add_eval_run(
        upstream="u", model="m", suites=["harmful"], item_limit=8, summary={}, regression=False, notes=""
    )
    with pytest.raises(SafealignError, match="limit"):  # rates over 8 items compared with rates over 16
        reevaluate.reference_run(store, run_id, ["harmful"], 16)


def test_the_headline_reads_the_suite_named_harmful_only() -> None:
    # a substring match let `harmful_extra` give the headline harmful refusal rate
    summary = reevaluate.summarize({"harmful_extra": {"refusal_rate": 0.1}, "harmful": {"refusal_rate": 0.9}})
    assert summary["harmful_refusal_rate"] == 0.9


def test_a_tiny_seed_torch_cannot_take_is_refused() -> None:
    with pytest.raises(
        ModelNotFoundError, match="below 2"
    ):  # `>` for `>=` let 2**63 through to torch's traceback
        resolve_spec(f"tiny:{2**63}")
    assert resolve_spec(f"tiny:{2**63 - 1}").seed == 2**63 - 1
