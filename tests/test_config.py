from __future__ import annotations

from pathlib import Path

import pytest

from safealign.config import load_recipe, parse_recipe
from safealign.errors import RecipeError


def test_defaults_validate():
    recipe = parse_recipe({"name": "demo", "sft": {}, "rl": {}})
    assert recipe.sft.method == "lora" and recipe.rl.beta > 0
    assert str(recipe.run_dir).endswith("runs/demo")


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"sft": {"learning_rat": 1e-4}}, ["sft.learning_rat", "did you mean 'learning_rate'"]),
        ({"sft": {"method": "qlora"}}, ["sft.method", "'qlora'", "'lora' or 'full'"]),
        ({"rl": {"rewards": {"accuracy": -1}}}, ["rl.rewards", "weights must be >= 0"]),
        ({"rl": {"gates": {"polcy": "stop"}}}, ["rl.gates.polcy", "did you mean 'policy'"]),
        ({"precision": "half"}, ["precision", "'half'", "'auto', 'bf16' or 'fp32'"]),
        ({"name": "has spaces"}, ["name", "has spaces"]),
        ({"monitr": {}}, ["monitr", "did you mean 'monitor'"]),
        ({"sft": {"batch_size": 0}}, ["sft.batch_size", "greater than or equal to 1"]),
        (
            {"sft": {"lr_scheduler": "cosin"}},
            ["sft.lr_scheduler", "unknown learning-rate scheduler 'cosin'", "did you mean 'cosine'?"],
        ),
        (
            {"sft": {"datasets": {"reasonin": 1.0}}},
            ["sft.datasets", "unknown dataset 'reasonin'", "did you mean 'reasoning'?"],
        ),
        (
            {"sft": {"datasets": {"reasoning": -0.5}}},
            ["sft.datasets", "fractions must be >= 0", "'reasoning': -0.5"],
        ),
        ({"sft": {"datasets": {"reasoning": 0}}}, ["sft.datasets", "no dataset with a fraction > 0"]),
        (
            {"distill": {"transfer_data": {"benign": 0.5}}},
            ["distill.transfer_data", "did you mean 'benign_helpful'?"],
        ),
        ({"model": {"name": "embeded:smollm2-135m-instruct"}}, ["model.name", "did you mean 'embedded:'?"]),
        ({"model": {"name": "embedded:smollm3"}}, ["model.name", "unknown embedded model 'smollm3'"]),
        ({"model": {"name": "prune:0.5"}}, ["model.name", "distill.student spec"]),
        ({"distill": {"student": "prune:1.5"}}, ["distill.student", "between 0 and 1"]),
        ({"distill": {"student": "prune:half"}}, ["distill.student", "e.g. prune:0.5"]),
        (
            {"eval": {"suites": ["harmfull"]}},
            ["eval.suites", "unknown eval suite 'harmfull'", "did you mean 'harmful'?"],
        ),
        ({"eval": {"suites": ["rg:lcm?max_vale=3"]}}, ["eval.suites", "lcm has no setting max_vale"]),
        (
            {"eval": {"judge": "lama-guard:/models/lg3"}},
            ["eval.judge", "valid forms: default, llama-guard:PATH"],
        ),
        (
            {"rl": {"tasks": {"arithmetc": 1.0}}},
            ["rl.tasks", "unknown RL task 'arithmetc'", "did you mean 'arithmetic'?"],
        ),
        (
            {"rl": {"tasks": {"gcd": 1.0}}},
            ["rl.tasks", "'gcd' is a held-out family", "Choose another family"],
        ),
        ({"rl": {"tasks": {"count_bits": 1.0}}}, ["rl.tasks", "'count_bits' is a dev family"]),
        ({"rl": {"tasks": {"gcd?max_value=12": 1.0}}}, ["rl.tasks", "'gcd' is a held-out family"]),
        (
            {"rl": {"tasks": {"chain_sum?max_digit=1": 1.0}}},
            ["rl.tasks", "chain_sum has no setting max_digit", "max_digits"],
        ),
        (
            {"rl": {"tasks": {"chain_sum?min_digits=3&max_digits=1": 1.0}}},
            ["rl.tasks", "chain_sum rejected the settings"],
        ),
        ({"rl": {"tasks": {"arithmetic?max_digits=1": 1.0}}}, ["rl.tasks", "takes no settings"]),
        ({"rl": {"tasks": {"safety?share=1": 1.0}}}, ["rl.tasks", "'safety' takes no settings"]),
        ({"rl": {"tasks": {"arithmetic": float("nan")}}}, ["rl.tasks", "finite number"]),
        ({"rl": {"rewards": {"accuracy": float("inf")}}}, ["rl.rewards", "finite number"]),
        (
            {"sft": {"datasets": {"reasoning": float("nan"), "benign_helpful": 0.1}}},
            ["sft.datasets", "finite number", "reasoning = nan"],
        ),
        (
            {"distill": {"transfer_data": {"reasoning": float("inf")}}},
            ["distill.transfer_data", "finite number"],
        ),
        ({"sft": {"epochs": float("inf")}}, ["sft.epochs", "finite number"]),
        ({"monitor": {"judge": "defualt"}}, ["monitor.judge", "unknown judge spec 'defualt'"]),
        (
            {"monitor": {"judge": "import:x"}},
            ["monitor.judge", "must look like import:package.module:factory"],
        ),
        ({"rl": {"learning_rate": float("inf")}}, ["rl.learning_rate", "finite number"]),
        (
            {"rl": {"num_prompts": 64, "tasks": {"arithmetic": 1.0, "safety": 0.005}}},
            ["rl", "tasks safety get 0 of the 64 prompts"],
        ),
        ({"model": "tiny"}, ["model = 'tiny'", "write `model: {name: tiny}`"]),
        ({"sft": {"lora": 8}}, ["sft.lora = 8", "a section takes a mapping", "fields: r, alpha"]),
        # "." and ".." made the run folder output_dir itself, or its parent
        (
            {"name": ".."},
            ["name = '..'", "letters, digits, '.', '_' and '-', and not only dots", "e.g. quickstart-v2"],
        ),
        ({"name": "."}, ["name = '.'", "not only dots"]),
        # numpy's seeding takes 0..2**32-1: other seeds validated, then set_seed failed after the baseline eval
        ({"seed": -1}, ["seed = -1", "greater than or equal to 0"]),
        ({"seed": 2**32}, ["seed = 4294967296", "less than or equal to 4294967295"]),
        (
            {"rl": {"tasks": {"arithmetic": 0.0, "safety": 1.0}}},
            ["rl.tasks", "task(s) arithmetic have weight 0: leave a task out of tasks"],
        ),
        (
            {"rl": {"lora": {"target_modules": "q_proj"}}},
            ["1 problem(s)", "give a list of module names (e.g. [q_proj])"],
        ),
        (
            {"sft": {"lora": {"target_modules": []}}},
            ["sft.lora.target_modules = []", "an empty list adapts no module"],
        ),
        (
            {"distill": {"student": "tiny:3", "mlp_fraction": 0.5}},
            ["distill", "mlp_fraction: 0.5 would be ignored", "leave prune_by: depth and mlp_fraction: 1.0"],
        ),
        (
            {"distill": {"student": "tiny:3", "prune_by": "width"}},
            ["distill", "prune_by: width would be ignored"],
        ),
    ],
)
def test_bad_fields_name_field_value_and_allowed(data, expected):
    with pytest.raises(RecipeError) as info:
        parse_recipe(data, "r.yaml")
    for text in expected:
        assert text in str(info.value)


def test_an_unknown_rl_task_is_offered_trainable_names_only():
    # "did you mean 'gcd'?" sent the user to the next error: gcd is a held-out family of the reasoning evals
    from safealign.evals.suites import DEV_REASONING, REASONING_FAMILIES

    with pytest.raises(RecipeError) as info:
        parse_recipe({"rl": {"tasks": {"gdc": 1.0}}}, "r.yaml")
    message = str(info.value)
    assert "unknown RL task 'gdc'" in message and "basic_arithmetic" in message
    for family in (*REASONING_FAMILIES["held_out"], *DEV_REASONING):
        assert f"'{family}'" not in message and f" {family}," not in message


def test_mixture_fields_take_paths_zero_fractions_and_a_disabled_stage(tmp_path):
    rows = tmp_path / "mine.jsonl"
    recipe = parse_recipe(
        {
            "sft": {
                "datasets": {
                    "reasoning": 0.5,
                    "multilingual": 0,
                    str(rows): 2.0,
                    "elsewhere/later.jsonl": 1.0,
                }
            },
            "distill": {"transfer_data": {}},
        }
    )
    assert recipe.sft.datasets["multilingual"] == 0 and recipe.distill.transfer_data == {}
    assert parse_recipe({"sft": {"enabled": False, "datasets": {"reasoning": 0}}}).sft.enabled is False


@pytest.mark.parametrize("field", ["sft.datasets", "distill.transfer_data"])
def test_one_file_named_twice_in_a_mixture_is_refused(tmp_path, field):
    """Two spellings of one file validated, and the stage trained on its rows under both."""
    from safealign.paths import package_data

    section, key = field.split(".")
    rows = tmp_path / "mine.jsonl"
    for mixture, first, summed in (
        ({str(rows): 1.0, f"{tmp_path}/./mine.jsonl": 1.0}, str(rows), "2"),
        ({"reasoning": 1.0, str(package_data("train", "reasoning.jsonl")): 0.5}, "reasoning", "1.5"),
    ):
        with pytest.raises(RecipeError) as info:
            parse_recipe({section: {key: mixture}})
        message = str(info.value)
        assert f"{field}: {first!r} and" in message and "are the same file" in message
        assert f"list it once, with the fractions summed ({first!r}: {summed};" in message
    # a 0 fraction leaves its file out: nothing is trained on twice
    shipped = str(package_data("train", "reasoning.jsonl"))
    assert parse_recipe({section: {key: {"reasoning": 0, shipped: 1.0}}})
    # a symlink loop raised RuntimeError from Path.resolve(), a traceback from `safealign validate`
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    assert parse_recipe({section: {key: {str(loop): 1.0, "reasoning": 1.0}}})


def test_suite_groups_files_families_and_judges_validate():
    recipe = parse_recipe(
        {
            "eval": {
                "suites": ["dev", "borderline:my_prompts.jsonl", "rg:lcm?max_value=12"],
                "judge": "openai:http://127.0.0.1:8000/v1#m",
            },
            "rl": {
                "tasks": {
                    "safety": 0.5,
                    "lcm": 0.25,
                    "arithmetic": 0.25,
                    "basic_arithmetic?max_digits=1&operators=*": 0.1,
                }
            },
        }
    )
    assert recipe.eval.suites[0] == "dev"
    assert set(recipe.rl.tasks) == {
        "safety",
        "lcm",
        "arithmetic",
        "basic_arithmetic?max_digits=1&operators=*",
    }


def test_model_specs_on_another_machine_still_validate():
    recipe = parse_recipe(
        {"model": {"name": "/models/Qwen2.5-1.5B-Instruct"}, "distill": {"student": "org/SmolLM2-135M"}}
    )
    assert (
        recipe.model.name == "/models/Qwen2.5-1.5B-Instruct" and recipe.distill.student == "org/SmolLM2-135M"
    )
    assert (
        parse_recipe({"model": {"name": "tiny:3"}, "distill": {"student": "prune:0.667"}}).model.name
        == "tiny:3"
    )


def test_load_recipe_errors(tmp_path):
    with pytest.raises(RecipeError, match="not found"):
        load_recipe(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sft: [unclosed")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(RecipeError, match="YAML mapping"):
        load_recipe(listy)


def test_a_section_with_nothing_under_it_is_the_section_with_its_defaults(tmp_path):
    """`sft:` over commented-out settings is YAML's null, and skipped the stage it names; only a section left out does."""
    from safealign.config import SFTConfig

    path = tmp_path / "r.yaml"
    path.write_text("name: x\nmodel: {name: tiny}\nsft:\n  # max_steps: 10\n")
    recipe = load_recipe(path)
    assert recipe.sft == SFTConfig() and recipe.sft.enabled and recipe.rl is None


@pytest.mark.parametrize("value", ["~", "null", "Null", "NULL", "!!null"])
def test_a_stage_section_set_to_null_skips_its_stage(tmp_path, value):
    """`rl: ~` (docs/recipe.md: section | null, default null) ran the GRPO stage with its defaults once a key left
    empty meant its defaults: only a key with nothing after it does."""
    path = tmp_path / "r.yaml"
    path.write_text(f"name: x\nmodel: {{name: tiny}}\nsft: {{max_steps: 1}}\nrl: {value}\n")
    recipe = load_recipe(path)
    assert recipe.rl is None and recipe.sft is not None


def test_a_section_left_empty_at_any_depth_is_the_section_with_its_defaults(tmp_path):
    from safealign.config import RLConfig, SFTConfig

    path = tmp_path / "r.yaml"
    path.write_text(
        "name: x\nmodel: {name: tiny}\nsft:\n  lora:\n  max_steps: 3\nrl:\n  hacking:  # window: 5\n"
    )
    recipe = load_recipe(path)
    assert recipe.rl == RLConfig() and recipe.sft == SFTConfig(max_steps=3)


def test_a_nested_section_set_to_null_says_how_to_get_its_defaults(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("rl:\n  hacking: ~\n")
    with pytest.raises(
        RecipeError, match=r"rl\.hacking = None: .*write `hacking: \{\}` \(or `hacking:` with nothing"
    ):
        load_recipe(path)


def test_a_key_left_empty_that_is_not_a_section_is_null(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("model:\n  name: tiny\n  system_prompt:\n")
    assert load_recipe(path).model.system_prompt is None


@pytest.mark.parametrize("text, line", [("[a, b]: 1\n", "line 1"), ("sft: {}\n{a: 1}: 1\n", "line 2")])
def test_an_unhashable_yaml_key_is_not_valid_yaml(tmp_path, text, line):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert (
        "not valid YAML" in str(info.value)
        and "found unhashable key" in str(info.value)
        and line in str(info.value)
    )


@pytest.mark.parametrize("text, kind", [("[]\n", "list"), ("false\n", "bool"), ("0\n", "int")])
def test_a_recipe_that_is_an_empty_non_mapping_is_rejected(tmp_path, text, kind):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=f"a recipe is a YAML mapping of sections, got {kind}"):
        load_recipe(path)
    path.write_text("")  # an empty file is still the default recipe
    assert load_recipe(path).name == "run"


def test_recipe_reference_is_up_to_date():
    """docs/recipe.md is generated from the schema: a field added, renamed or re-described without regenerating fails here."""
    from safealign.config.reference import recipe_reference

    committed = (Path(__file__).resolve().parents[1] / "docs" / "recipe.md").read_text(encoding="utf-8")
    assert committed == recipe_reference(), (
        "regenerate it: python -m safealign.config.reference > docs/recipe.md"
    )
    for section in ("## `sft:`", "## `rl.gates:`", "## `distill:`", "| `num_iterations` | int | `1` |"):
        assert section in committed


def test_trackers_are_checked_by_validate_and_before_a_stage_loads_anything(tmp_path, monkeypatch):
    """A misspelt tracker passed validate and failed in the Trainer; a tracker not installed was a 119-line traceback."""
    import transformers.integrations

    from safealign.config import SFTConfig
    from safealign.errors import SafealignError
    from safealign.stages.sft import run_sft

    with pytest.raises(
        RecipeError, match=r"sft\.report_to .*unknown tracker 'tensorbaord' \(did you mean 'tensorboard'\?\)"
    ):
        parse_recipe({"name": "x", "sft": {"report_to": ["tensorbaord"]}})
    with pytest.raises(RecipeError, match=r"rl\.report_to .*unknown tracker 'wandbb'"):
        parse_recipe({"name": "x", "rl": {"report_to": ["wandbb"]}})
    assert parse_recipe({"name": "x", "sft": {"report_to": ["tensorboard", "wandb"]}}).sft.report_to == [
        "tensorboard",
        "wandb",
    ]

    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations", lambda: ["wandb"])
    with pytest.raises(
        SafealignError,
        match=r"report_to asks for tensorboard, which is not installed: pip install 'safealign\[tracking\]'",
    ):
        run_sft(SFTConfig(report_to=["tensorboard"]), "no-such-model-is-loaded", tmp_path / "sft")
    assert not (tmp_path / "sft").exists(), "nothing written before the check"
    from safealign.training.common import check_trackers_installed

    check_trackers_installed(
        ["flyte", "azure_ml", "wandb"]
    )  # transformers never lists flyte as available: left to the Trainer


def test_distill_takes_report_to_as_sft_and_rl_do(tmp_path, monkeypatch):
    """The distill section had no report_to: its metrics reached no tracker whatever the recipe asked of the others."""
    import transformers.integrations

    import safealign.pipeline
    from safealign.errors import SafealignError
    from safealign.stages.distill import run_distill

    with pytest.raises(RecipeError, match=r"distill\.report_to .*unknown tracker 'tensorbaord'"):
        parse_recipe({"name": "x", "distill": {"report_to": ["tensorbaord"]}})
    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations", lambda: [])
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "distill": {"report_to": ["tensorboard"]},
        }
    )
    with pytest.raises(SafealignError, match="report_to asks for tensorboard"):  # before the baseline eval
        safealign.pipeline.run_pipeline(recipe, show_progress=False)
    with pytest.raises(SafealignError, match="report_to asks for tensorboard"):  # the stage command alone
        run_distill(recipe.distill, "tiny", tmp_path / "none.jsonl", tmp_path / "distill")
    assert not (tmp_path / "distill").exists(), "nothing written before the check"


def test_a_tracker_not_installed_is_refused_before_the_run_folder_is_made(tmp_path, monkeypatch):
    """Checked after the run's lock, a missing tracker left runs/<name>/ with its lock and recipe.yaml behind."""
    import transformers.integrations

    import safealign.pipeline
    from safealign.errors import SafealignError

    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations", lambda: [])
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"report_to": ["tensorboard"], "datasets": {"benign_helpful": 1.0}},
        }
    )
    with pytest.raises(SafealignError, match="report_to asks for tensorboard"):
        safealign.pipeline.run_pipeline(recipe, show_progress=False)
    assert list(tmp_path.iterdir()) == []


def test_the_pipeline_checks_trackers_only_for_stages_it_will_run(tmp_path, monkeypatch):
    """A finished SFT stage trained with tensorboard elsewhere is skipped on resume: it must not need tensorboard here."""
    import transformers.integrations

    import safealign.pipeline
    from safealign.errors import SafealignError
    from safealign.runs import write_json

    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations", lambda: [])
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"report_to": ["tensorboard"]},
        }
    )

    class Reached(Exception):
        pass

    def baseline(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(safealign.pipeline, "run_eval_stage", baseline)
    with pytest.raises(SafealignError, match="report_to asks for tensorboard"):
        safealign.pipeline.run_pipeline(recipe, show_progress=False)
    write_json(
        recipe.run_dir / "sft" / "stage.json",
        {"stage": "sft", "config": recipe.sft.model_dump(), "output": str(recipe.run_dir / "sft" / "model")},
    )
    with pytest.raises(Reached):
        safealign.pipeline.run_pipeline(recipe, show_progress=False)


@pytest.mark.parametrize(
    ("rl", "expected"),
    [
        (
            {"tasks": {"safety": 1.0}, "rewards": {"accuracy": 1.0}},
            "no reward scores the safety task: add safety (e.g. safety: 1.0) to rewards",
        ),
        (
            {"tasks": {"arithmetic": 1}, "rewards": {"safety": 1}},
            "no reward scores the reasoning tasks (arithmetic): add accuracy",
        ),
        (
            {
                "tasks": {"arithmetic": 0.5, "safety": 0.5},
                "rewards": {"accuracy": 1.0, "safety": 0.0, "language": 0.1},
            },
            "no reward scores the safety task",
        ),
        (
            {"tasks": {"chain_sum": 1.0}, "rewards": {"overlong": 1.0, "repetition": 1.0, "language": 1.0}},
            "no reward scores the reasoning tasks (chain_sum)",
        ),
    ],
)
def test_rl_tasks_need_a_reward_that_scores_them(rl, expected):
    """A task no reward scores gets the same reward on every completion: TRL computes zero advantage, and the stage
    spends its rollouts on nothing. Such recipes validated."""
    with pytest.raises(RecipeError) as error:
        parse_recipe({"rl": rl})
    assert "rl" in str(error.value) and expected in " ".join(str(error.value).split())


def test_rl_tasks_with_a_scoring_reward_validate():
    assert parse_recipe({"rl": {"tasks": {"arithmetic": 1.0}, "rewards": {"format": 1.0}}}).rl
    assert parse_recipe({"rl": {"tasks": {"safety": 1.0}, "rewards": {"safety": 1.0, "repetition": 0.2}}}).rl
    root = Path(__file__).resolve().parents[1] / "recipes"
    for recipe in [root / "quickstart.yaml", *sorted((root / "gpu").glob("*.yaml"))]:
        assert load_recipe(recipe).rl is not None, recipe


@pytest.mark.parametrize(
    ("rl", "warned"),
    [
        ({"max_steps": 19}, "max_steps 19 at logging_steps 1 logs 19 steps"),
        ({"max_steps": 38, "logging_steps": 2}, "max_steps 38 at logging_steps 2 logs 19 steps"),
        ({"max_steps": 6, "hacking": {"window": 4}}, "need 8, so they cannot fire. Raise max_steps to 8"),
        ({"max_steps": 20}, None),
        # rewards, lengths and safety rates come once per generation round: 10 of 20 logged steps hold them
        (
            {"max_steps": 20, "num_iterations": 2},
            "logs 10 steps with rewards (one a generation round at most: num_iterations 2)",
        ),
        ({"max_steps": 20, "num_iterations": 2}, "need 20, so they cannot fire. Raise max_steps to 40"),
        ({"max_steps": 40, "num_iterations": 2}, None),
        ({"max_steps": 6, "hacking": {"window": 3}}, None),
        ({"max_steps": 5, "enabled": False}, None),
    ],
)
def test_validate_warns_when_the_trend_detectors_get_too_few_logged_steps(rl, warned, caplog, tmp_path):
    """The trend detectors compare two windows of hacking.window logged steps: with fewer, validate and audit said
    nothing, and a short run's silence read as "no hacking". A warning, not an error: a smoke run is fine."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": rl})
    said = " ".join(caplog.text.split())
    assert warned in said if warned else "trend detectors" not in said, said
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"rl: {rl}\n".replace("'", ""))
    assert CliRunner().invoke(app, ["validate", str(recipe)]).exit_code == 0


def test_validate_warns_when_refusal_collapse_gets_too_few_steps_with_benign_prompts(caplog):
    """refusal_collapse counts only the logged steps whose rounds held a benign or borderline prompt: the quickstart's
    20 steps held 9 (safety 20% of 4 prompts a step), and validate, counting 20 of the 20 needed, said nothing."""
    root = Path(__file__).resolve().parents[1] / "recipes"
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        load_recipe(root / "quickstart.yaml")
    said = " ".join(caplog.text.split())
    assert "refusal_collapse compares two windows" in said and "about 8 of the 20 logged steps" in said, said
    assert "trend detectors" not in said  # 20 logged steps: the others can fire
    caplog.clear()
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": {"max_steps": 40, "tasks": {"arithmetic": 0.5, "safety": 0.5}}})
    assert "refusal_collapse" not in caplog.text


def test_a_short_recipe_gets_one_detector_warning_not_two(caplog):
    """A 2-step recipe was told twice that refusal_collapse cannot fire (the trend detectors' warning names it)."""
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": {"max_steps": 2}})
    said = " ".join(caplog.text.split())
    assert "trend detectors" in said and "refusal_collapse compares two windows" not in said, said


def test_the_benign_share_refusal_collapse_assumes_stays_under_the_shipped_safety_prompts():
    """The validate warning assumes 60% of the safety prompts are benign or borderline: no more than they are."""
    from safealign.corpus import dataset_path, read_rows
    from safealign.stages.rl_prompts import SAFETY_SOURCES

    kinds = [row.get("kind", "benign") for name in SAFETY_SOURCES for _, row in read_rows(dataset_path(name))]
    assert sum(kind in ("benign", "borderline") for kind in kinds) / len(kinds) >= 0.6


def test_a_checkpoint_must_fall_between_generation_rounds():
    """A checkpoint holds no rollouts: one saved inside a round (num_iterations 2, save_steps 3) resumed with a new round
    where the uninterrupted stage reused the old one, and every round after came one step out of phase."""
    with pytest.raises(RecipeError) as error:
        parse_recipe({"rl": {"num_iterations": 2, "save_steps": 3}})
    said = " ".join(str(error.value).split())
    assert (
        "save_steps (3) must be a multiple of num_iterations (2)" in said and "Set save_steps to 2" in said
    ), said
    assert parse_recipe({"rl": {"num_iterations": 2, "save_steps": 4}}).rl.save_steps == 4
    assert parse_recipe({"rl": {"num_iterations": 1, "save_steps": 3}}).rl.save_steps == 3


def test_one_rl_task_written_twice_is_refused_naming_both_keys():
    """The same family and settings in another order validated, and the stage drew its questions twice over."""
    first, second = "basic_arithmetic?max_digits=1&max_terms=2", "basic_arithmetic?max_terms=2&max_digits=1"
    with pytest.raises(RecipeError) as error:
        parse_recipe({"rl": {"tasks": {first: 0.5, second: 0.5}, "rewards": {"accuracy": 1.0}}})
    said = " ".join(str(error.value).split())
    assert f"RL tasks {first!r} and {second!r} are the same task" in said and "weights summed" in said, said
    with pytest.raises(RecipeError, match="'chain_sum' and 'chain_sum\\?' are the same task"):
        parse_recipe({"rl": {"tasks": {"chain_sum": 0.5, "chain_sum?": 0.5}, "rewards": {"accuracy": 1.0}}})
    other = "basic_arithmetic?max_digits=2&max_terms=2"  # another setting: another task
    assert (
        len(parse_recipe({"rl": {"tasks": {first: 0.5, other: 0.5}, "rewards": {"accuracy": 1.0}}}).rl.tasks)
        == 2
    )


def test_a_recipe_naming_a_guard_folder_of_another_machine_validates(tmp_path) -> None:
    """validate looked for the Llama Guard folder, though paths are checked when a stage starts: a GPU host's recipe
    failed on a laptop. Building the judges still looks for it."""
    from safealign.config import parse_recipe
    from safealign.judges import JudgeSpecError, build_judges

    spec = "llama-guard:/models/Llama-Guard-3-8B-not-here"
    recipe = parse_recipe({"output_dir": str(tmp_path), "eval": {"judge": spec}, "monitor": {"judge": spec}})
    assert recipe.eval.judge == spec
    with pytest.raises(JudgeSpecError, match="is not found"):
        build_judges(spec)


@pytest.mark.parametrize(
    "data",
    [
        {"rl": {"tasks": {"safety": 1.0}, "rewards": {"safety": 1.0}}, "sample": {}},
        {"rl": {"tasks": {"safety": 1.0}, "rewards": {"safety": 1.0}}, "sample": {"safety_share": 0.0}},
        {"rl": {"tasks": {"safety": 1.0}, "rewards": {"safety": 1.0}, "enabled": False}, "distill": {}},
    ],
)
def test_sampling_needs_a_reasoning_task_unless_it_samples_safety_only(data):
    """Sampling draws 1 - safety_share of its prompts from rl.tasks' reasoning tasks: with none, safety_share 0.3 sampled
    safety prompts only without a word, and 0.0 failed with a ZeroDivisionError before the baseline eval."""
    with pytest.raises(RecipeError) as error:
        parse_recipe(data)
    said = " ".join(str(error.value).split())
    assert "from rl.tasks' reasoning tasks, but rl.tasks has only safety" in said, said
    assert "add a reasoning task to rl.tasks" in said and "set sample.safety_share: 1.0" in said, said
    assert parse_recipe(data | {"sample": {"safety_share": 1.0}}).sample.safety_share == 1.0
    assert parse_recipe({k: v for k, v in data.items() if k == "rl"}).rl.tasks == {"safety": 1.0}


@pytest.mark.parametrize("section", ["sft", "rl", "distill"])
def test_lora_settings_under_full_fine_tuning_are_refused(section):
    """A lora block under method: full (distill's default) validated, and the stage fine-tuned every weight."""
    with pytest.raises(RecipeError) as error:
        parse_recipe({section: {"method": "full", "lora": {"r": 8}}})
    said = " ".join(str(error.value).split())
    assert f"{section} = {{...}}: lora settings apply to method: lora, but method is full" in said, said
    assert "set method: lora, or remove the lora block" in said
    assert getattr(parse_recipe({section: {"method": "lora", "lora": {"r": 8}}}), section).lora.r == 8


def test_a_resolved_recipe_validates_again():
    """A run writes recipe.yaml with every field, the default lora block of a full fine-tuning stage among them."""
    import yaml

    root = Path(__file__).resolve().parents[1] / "recipes"
    distill = parse_recipe({"sft": {"method": "full"}, "distill": {"student": "tiny:3"}})
    for recipe in [
        distill,
        *(load_recipe(path) for path in [root / "quickstart.yaml", *(root / "gpu").glob("*.yaml")]),
    ]:
        resolved = yaml.safe_load(yaml.safe_dump(recipe.model_dump(mode="json")))
        assert parse_recipe(resolved) == recipe


def test_yaml_merge_keys_work_and_duplicate_keys_are_still_refused(tmp_path):
    """The duplicate-key loader refused `<<: *anchor` with a PyYAML internal message."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "sft:\n  method: lora\n  lora: &lora {r: 64, alpha: 128}\nrl:\n  lora:\n    <<: *lora\n    r: 32\n"
    )
    loaded = load_recipe(recipe)
    assert (loaded.sft.lora.r, loaded.rl.lora.r, loaded.rl.lora.alpha) == (64, 32, 128)
    recipe.write_text("sft:\n  lora: &lora {r: 64}\nrl:\n  lora:\n    <<: *lora\n    r: 32\n    r: 16\n")
    with pytest.raises(RecipeError, match="found the key 'r' twice"):
        load_recipe(recipe)
    recipe.write_text("a: &a {r: 1}\nrl:\n  lora:\n    <<: *a\n    <<: *a\n")
    with pytest.raises(RecipeError, match="found the key '<<' twice"):
        load_recipe(recipe)


def test_a_gate_item_floor_above_the_suite_size_is_refused():
    """gates.min_items 5 at limit 4 validated: no change could amount to 5 of 4 items, so the gates never breached."""
    with pytest.raises(RecipeError) as error:
        parse_recipe({"rl": {"gates": {"limit": 4, "min_items": 5}}})
    said = " ".join(str(error.value).split())
    assert "min_items (5) is more than limit (4)" in said and "the gates would never breach" in said, said
    assert "Set min_items at most limit" in said
    assert parse_recipe({"rl": {"gates": {"limit": 4, "min_items": 4}}}).rl.gates.min_items == 4


def test_the_recipe_reference_shows_each_fields_bounds():
    """The page showed bounds for 2 of the 95 bounded fields (where a description happened to say them)."""
    from safealign.config.reference import recipe_reference

    page = recipe_reference()
    assert "| field | type | default | bounds | meaning |" in page
    for row in (
        "| `num_generations` | int | `8` | >= 2 |",
        "| `dropout` | float | `0.0` | >= 0, < 1 |",
        "| `refusal_tolerance` | float | `0.05` | >= 0, <= 1 |",
        '| `eval_suites` | list[str] | `["harmful", "borderline"]` | length >= 1 |',
        '| `name` | str | `"run"` |  |',  # unbounded: an empty cell
    ):
        assert row in page, row


def test_the_monitor_section_names_the_environment_variables_that_override_it():
    """SAFEALIGN_MONITOR_KEY (and `monitor judge`'s _DB, _JUDGE, _WEBHOOK) override the recipe, as their options do;
    the page said only "options given on the command line override them"."""
    import typer.main

    from safealign.cli.monitor_cmd import app
    from safealign.config.recipe import Recipe

    group = typer.main.get_command(app)
    params = [*group.params, *group.commands["judge"].params]
    envvars = [param.envvar for param in params if param.envvar]
    assert envvars, "the monitor options lost their environment variables"
    said = Recipe.model_fields["monitor"].description
    for envvar in envvars:
        assert f"${envvar}" in said, envvar


@pytest.mark.parametrize(
    "section, field, phrase",
    [
        ("sft", "keep_checkpoints", "method: lora"),  # "1.3 GB" held only for full with frozen embeddings
        (None, "precision", "eval.precision"),  # the evals and the gates do not use the top-level precision
        (None, "precision", "rl.gates.precision"),
        ("rl", "prompts_per_step", "each training process"),
        ("rl", "num_prompts", "at least prompts_per_step"),
        ("distill", "epochs", "traces plus transfer_data"),
        ("distill", "batch_size", "per device"),
        ("distill", "student", "prune_by: width"),
        ("monitor", "api_key", "overrides it"),
        ("monitor", "upstream_timeout_s", "not on the whole answer"),
        ("eval", "judge", "rejection sampling"),
    ],
)
def test_field_descriptions_say_what_the_code_does(section, field, phrase):
    """Descriptions the reviewer found wrong or incomplete against the stage code (the page is generated from them)."""
    from safealign.config.recipe import Recipe

    model = Recipe if section is None else Recipe.model_fields[section].annotation
    if not isinstance(model, type):  # `X | None`: the section class
        model = next(arg for arg in model.__args__ if arg is not type(None))
    assert phrase in model.model_fields[field].description


def test_cross_field_rules_are_in_the_descriptions():
    """Rules a validator enforces across fields, stated where the field is described."""
    from safealign.config.sections import GateConfig, RLConfig, SFTConfig

    assert "At most limit" in GateConfig.model_fields["min_items"].description
    assert "raise_kl needs rl.beta above 0" in GateConfig.model_fields["policy"].description
    assert "method: full" in SFTConfig.model_fields["freeze_layers"].description
    gate_precision = GateConfig.model_fields["precision"].description
    assert gate_precision.count("Generation precision") == 1, gate_precision
    assert "as eval.precision" in gate_precision
    assert "at least prompts_per_step" in RLConfig.model_fields["num_prompts"].description
