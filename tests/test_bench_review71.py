"""Review 71 of the benchmark scripts: a result that cannot be written loses neither it nor the earlier one, and bad
input (a results name, a missing eval folder) stops a script with its reason. Results go to a temporary folder."""

from __future__ import annotations

import json
import sys

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


def _never(*args, **kwargs):
    raise AssertionError("the script went on past a bad --name")


# (script, its required arguments, what it must not start)
NAMED = [
    ("student_speed", ["--student", "tiny"], "load_model"),
    ("refusal_probe", ["--model", "m"], "load_model"),
    ("refusal_vote", ["--model", "m"], "evaluate"),
    ("rl_difficulty_lever", ["--sft", "m"], "evaluate"),
    ("sft_seed_spread", [], "train_and_score"),
    ("dev_split_validity", ["--model", "a=d:h"], "dev_suites"),
    ("judge_human_agreement", ["--eval", "sft=d"], "load_labels"),
]


@pytest.mark.parametrize(("script", "argv", "heavy"), NAMED)
@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("runs/x", "is not a file name"),
        ("", "is not a file name"),
        ("..", "is not a file name"),
        ("x.json", "without .json"),
    ],
)
def test_a_results_name_that_is_no_file_name_stops_the_script_first(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    script,
    argv,
    heavy,
    name,
    said,
):
    """--name runs/x ran the whole experiment, then report() failed on results/runs/ (FileNotFoundError), losing it;
    --name x.json wrote x.json.json."""
    module = __import__(script)
    monkeypatch.setattr(module, heavy, _never)
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv, "--name", name])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--name" in err and said in err


def test_dev_split_validity_names_a_missing_eval_folder(benchmarks, monkeypatch, tmp_path):  # noqa: F811
    """--model a=/typo:... ended in a FileNotFoundError's traceback on /typo/summary.json."""
    import dev_split_validity

    run = tmp_path / "run"
    run.mkdir()
    for dev, said in (
        (tmp_path / "typo", "typo not found"),
        (run, "run is not an eval folder (no summary.json)"),
    ):
        monkeypatch.setattr(sys, "argv", ["dev_split_validity.py", "--model", f"a={dev}:{dev}"])
        with pytest.raises(SystemExit) as exit_info:
            dev_split_validity.main()
        assert said in str(exit_info.value.code) and "safealign eval --out DIR" in str(exit_info.value.code)
    (run / "summary.json").write_text("[]")
    with pytest.raises(SystemExit, match="expected a JSON object"):
        dev_split_validity.side_rates(run, "harmful")


@pytest.mark.parametrize(
    ("script", "argv", "heavy"),
    [
        ("sft_throughput", ["--model", "MISSING"], ["build_mixture", "run_sft", "load_model"]),
        ("grpo_throughput", ["--model", "MISSING"], ["run_rl", "load_model"]),
        ("generation", ["--model", "MISSING"], ["load_model"]),
        ("student_speed", ["--teacher", "MISSING", "--student", "tiny"], ["load_model"]),
        ("student_speed", ["--student", "prune:0.5", "--student", "MISSING"], ["load_model"]),
    ],
)
def test_a_missing_model_stops_a_speed_script_before_anything_loads(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    tmp_path,
    script,
    argv,
    heavy,
):
    """It was a ModelNotFoundError's traceback once the data was built, or (a student) once the teacher had loaded."""
    module = __import__(script)
    for name in heavy:
        monkeypatch.setattr(module, name, _never)
    missing = str(tmp_path / "no-such-model")
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *(missing if a == "MISSING" else a for a in argv)])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 2 and f"model {missing!r} not found" in capsys.readouterr().err


def test_judge_human_agreement_names_a_missing_or_broken_labels_file(benchmarks, tmp_path):  # noqa: F811
    """--labels with a typo was a FileNotFoundError's traceback, a cut line a JSONDecodeError's."""
    import judge_human_agreement

    with pytest.raises(SystemExit, match="no such file; give a labels JSONL such as"):
        judge_human_agreement.load_labels(tmp_path / "typo.jsonl")
    broken = tmp_path / "labels.jsonl"
    broken.write_text('{"model": "sft", "id": "a", "label": "refusal"}\n{"model": "sft", "id"\n')
    with pytest.raises(SystemExit, match=r"labels.jsonl:2: not a JSON row"):
        judge_human_agreement.load_labels(broken)
