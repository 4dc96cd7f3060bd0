"""Review 73b of the benchmark scripts: input that would give a wrong or empty result, or a traceback, stops a script
with what to give instead. Results go to a temporary folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_benchmark_fairness import benchmarks  # noqa: F401 - fixture


def _summary(folder: Path, suite: str, kind: str, rates: dict[str, float]) -> str:
    """A `safealign eval --out` folder's summary.json with one suite, its rate per split."""
    folder.mkdir(parents=True)
    metric = {"harmful": "refusal_rate", "borderline": "over_refusal_rate"}[kind]
    metrics = {split: {metric: {"value": rate}} for split, rate in rates.items()}
    (folder / "summary.json").write_text(json.dumps({"suites": {suite: {"kind": kind, "metrics": metrics}}}))
    return str(folder)


def _models(root: Path) -> dict[str, tuple[str, str]]:
    """Three models' harmful dev and held-out folders, their rates 0.5, 0.6 and 0.7."""
    return {
        name: (
            _summary(root / name / "dev", "harmful_dev", "harmful", {"dev": rate, "all": rate}),
            _summary(root / name / "held", "harmful", "harmful", {"held_out": rate, "all": rate}),
        )
        for name, rate in (("a", 0.5), ("b", 0.6), ("c", 0.7))
    }


def _validity(monkeypatch, *argv: str) -> None:
    import dev_split_validity

    monkeypatch.setattr(sys, "argv", ["dev_split_validity.py", *argv])
    dev_split_validity.main()


def test_dev_split_validity_refuses_a_model_name_given_twice(benchmarks, monkeypatch, capsys):  # noqa: F811
    """The second --model a replaced the first without a word: the correlation was over one model fewer."""
    import _common

    models = _models(benchmarks)
    argv = ["--model", f"a={models['a'][0]}:{models['a'][1]}", "--model", f"a={models['b'][0]}:{models['b'][1]}"]
    with pytest.raises(SystemExit) as exit_info:
        _validity(monkeypatch, *argv, "--model", f"c={models['c'][0]}:{models['c'][1]}")
    assert exit_info.value.code == 2 and "--model a given twice" in capsys.readouterr().err
    assert not _common.RESULTS.exists()


def test_dev_split_validity_names_a_held_out_folder_without_the_sides_suite(benchmarks, monkeypatch):  # noqa: F811
    """A held-out folder of borderline items under --side harmful was a KeyError: 'harmful' traceback."""
    models = _models(benchmarks)
    borderline = _summary(benchmarks / "bord", "borderline", "borderline", {"held_out": 0.1, "all": 0.1})
    with pytest.raises(SystemExit) as exit_info:
        _validity(
            monkeypatch,
            "--model", f"a={models['a'][0]}:{borderline}", "--model", f"b={models['b'][0]}:{models['b'][1]}",
        )  # fmt: skip
    said = str(exit_info.value.code)
    assert f"{borderline} holds no harmful suite" in said and "--split held_out" in said


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--only", "harmful_dev_unsen"], "no harmful dev suite whose names start with harmful_dev_unsen"),
        (["--side", "borderline"], "no borderline dev suite;"),
    ],
)
def test_dev_split_validity_refuses_dev_folders_without_a_dev_suite_kept(
    benchmarks,  # noqa: F811
    monkeypatch,
    extra,
    said,
):
    """A typo in --only (or dev folders of the other side) wrote a result with no dev suite in it: a table of the
    held-out rates alone, and no correlation, under the name of a dev split's validity."""
    import _common

    models = _models(benchmarks)
    bord = {
        name: _summary(benchmarks / f"{name}-bord", "borderline", "borderline", {"held_out": rate, "all": rate})
        for name, rate in (("a", 0.1), ("b", 0.2))
    }
    held = bord if "borderline" in extra else {name: models[name][1] for name in "ab"}
    with pytest.raises(SystemExit) as exit_info:
        _validity(monkeypatch, *extra, *(f"--model={n}={models[n][0]}:{held[n]}" for n in "ab"))
    assert said in str(exit_info.value.code)
    assert not _common.RESULTS.exists()


def _never(*args, **kwargs):
    raise AssertionError("the script went on past bad input")


@pytest.mark.parametrize(
    ("script", "argv", "flag"),
    [
        ("concise_think_lever", ["--sft", "MISSING"], "--sft"),
        ("concise_think_lever", ["--base", "MISSING"], "--base"),
        ("self_distill_lever", ["--sft", "MISSING"], "--sft"),
        ("self_distill_lever", ["--base", "MISSING"], "--base"),
    ],
)
def test_a_missing_model_stops_a_lever_script_before_any_work(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    script,
    argv,
    flag,
):
    """A missing --sft or --base was a traceback (load_model's, or a CalledProcessError from `safealign eval`) after
    the data was mined or both SFT models trained: minutes to half an hour of work."""
    module = __import__(script)
    for name in ("own_words_rows", "run_sft", "in_distribution_scores", "dev_scores"):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, _never)
    missing = str(benchmarks / "no-such-model")
    out = ["--out", str(benchmarks / "out")]
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *(missing if a == "MISSING" else a for a in argv), *out])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and f"argument {flag}: model" in err and "not found" in err


@pytest.mark.parametrize(
    ("script", "module", "heavy"),
    [
        ("monitor_load", "uvicorn", ["start_upstream", "start_gateway"]),
        ("monitor_crash", "fastapi", ["start_upstream", "start_gateway"]),
        ("monitor_worker", "sqlalchemy", ["backlog", "trickle"]),
    ],
)
def test_a_missing_serve_extra_stops_a_monitor_script_naming_it(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    script,
    module,
    heavy,
):
    """Without the 'serve' extra the load and crash tests started servers that died importing it, waited a minute for
    them and ended in a RuntimeError's traceback ('did not come up within 60s'); monitor_worker in the import's."""
    imported = __import__(script)
    for name in heavy:
        monkeypatch.setattr(imported, name, _never)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` raises ModuleNotFoundError, as when missing
    monkeypatch.setattr(sys, "argv", [f"{script}.py"])
    with pytest.raises(SystemExit) as exit_info:
        imported.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and f"'{module}'" in err and "pip install 'safealign[serve]'" in err


@pytest.mark.parametrize(
    ("script", "argv", "section", "heavy"),
    [
        ("rl_difficulty_lever", ["--sft", "tiny"], "rl", ["evaluate", "subprocess"]),
        ("sft_seed_spread", [], "sft", ["train_and_score"]),
        ("concise_think_lever", [], "sft", ["run_sft", "dev_scores"]),
        ("self_distill_lever", [], "sft", ["own_words_rows", "run_sft"]),
    ],
)
def test_a_recipe_without_the_section_a_script_trains_with_stops_it_first(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    script,
    argv,
    section,
    heavy,
):
    """A --recipe without the rl: (or sft:) section the script trains with ran what came before (rl_difficulty_lever:
    three evals of the SFT model; self_distill_lever: the base model's sampling) and ended in a CalledProcessError's
    traceback from `safealign rl` (or `sft`), or a KeyError."""
    recipe = benchmarks / "recipe.yaml"
    recipe.write_text("name: lever\nmodel:\n  name: tiny\n")
    module = __import__(script)
    for name in heavy:
        monkeypatch.setattr(module, name, _never)
    out = ["--out", str(benchmarks / "out")]
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv, "--recipe", str(recipe), *out])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 2 and f"{recipe} has no {section}: section" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--k", "--max-chars"])
def test_self_distill_lever_refuses_zero_samples_or_characters(benchmarks, monkeypatch, capsys, flag):  # noqa: F811
    """--k 0 was a SettingError's traceback once the base model had loaded; --max-chars 0 kept no sample and trained
    the lever's SFT model on the recipe's own rows."""
    import self_distill_lever

    monkeypatch.setattr(self_distill_lever, "own_words_rows", _never)
    monkeypatch.setattr(self_distill_lever, "run_sft", _never)
    monkeypatch.setattr(sys, "argv", ["self_distill_lever.py", flag, "0", "--out", str(benchmarks / "out")])
    with pytest.raises(SystemExit) as exit_info:
        self_distill_lever.main()
    assert exit_info.value.code == 2 and "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("requests", "blocks", "ran"),
    [(2000, 4, 4), (1000, 3, 3), (200, 4, 2)],  # 200: blocks of at least 4 x 32 requests, so two
)
def test_monitor_load_says_how_many_blocks_ran(benchmarks, monkeypatch, requests, blocks, ran):  # noqa: F811
    """The JSON recorded --blocks 4 where 200 requests ran in 2 (a block holds at least 4x --concurrency), and 1,000 in
    3 ran a fourth block of one request (333 a block, rounded down)."""
    import argparse
    import asyncio

    import monitor_load

    sizes: list[int] = []

    async def run_block(base, tag, start, count, concurrency, **kwargs):
        sizes.append(count)
        return [{"marker": f"{tag}-{i}", "status": 200, "latency": 0.001, "acked": True} for i in range(count)]

    monkeypatch.setattr(monitor_load, "run_block", run_block)
    monkeypatch.setattr(monitor_load, "wait_backlog_drained", lambda *a, **k: 0)
    monkeypatch.setattr(monitor_load, "scrape_added", lambda *a, **k: [(0.01, 0.0), (float("inf"), 0.0)])
    args = argparse.Namespace(requests=requests, concurrency=32, blocks=blocks)
    result = asyncio.run(monitor_load.scenario(args, 0.0, "http://up", "http://gw", {}))
    assert result["blocks"] == ran
    timed = sizes[2:]  # after the warm-up of each side
    assert len(timed) == 2 * ran and sum(timed) == 2 * requests


def test_student_speed_refuses_vocab_keep_without_a_student_it_trims(benchmarks, monkeypatch, capsys):  # noqa: F811
    """--vocab-keep trims only prune: students: given with trained students alone it was ignored, and the JSON's args
    recorded it beside their speeds."""
    import student_speed

    monkeypatch.setattr(student_speed, "load_model", _never)
    monkeypatch.setattr(sys, "argv", ["student_speed.py", "--student", "tiny", "--vocab-keep", "16000"])
    with pytest.raises(SystemExit) as exit_info:
        student_speed.main()
    assert exit_info.value.code == 2 and "--vocab-keep 16000 trims the prune: students" in capsys.readouterr().err
