"""Review 71 of the benchmark scripts: a result that cannot be written loses neither it nor the earlier one, and bad
input (a results name, a missing eval folder) stops a script with its reason. Results go to a temporary folder."""

from __future__ import annotations

import json

import pytest
from test_benchmark_fairness import benchmarks  # noqa: F401 - fixture

EARLIER = {"machine": {"date": "2026-11-30 10:00:00"}, "ratio": 1.4}


def _earlier_result(results) -> None:
    results.mkdir(parents=True)
    (results / "x.json").write_text(json.dumps(EARLIER))


def test_a_payload_that_does_not_serialise_leaves_the_earlier_result_in_place(benchmarks):  # noqa: F811
    """It moved to history first, then json.dumps failed: results/x.json, which the README quotes, was gone."""
    import _common

    _earlier_result(_common.RESULTS)
    with pytest.raises(TypeError):
        _common.report("x", "t", ["a"], [[1]], {"per_pair": {(1, 2): 3}})  # tuple keys: not JSON
    assert json.loads((_common.RESULTS / "x.json").read_text()) == EARLIER
    assert not (_common.RESULTS / "history").exists()


def test_a_path_in_the_payload_is_written_as_its_text(benchmarks, tmp_path):  # noqa: F811
    """A script's vars(args) with a --recipe Path ended the run in a TypeError after the whole measurement."""
    import _common

    _earlier_result(_common.RESULTS)
    path = _common.report("x", "t", ["a"], [[1]], {"args": {"recipe": tmp_path / "r.yaml"}, "ratio": 1.2})
    assert json.loads(path.read_text())["args"]["recipe"] == str(tmp_path / "r.yaml")
    (kept,) = (_common.RESULTS / "history").iterdir()
    assert json.loads(kept.read_text()) == EARLIER
    assert sorted(p.name for p in _common.RESULTS.iterdir()) == ["history", "x.json"]  # no temp file left
