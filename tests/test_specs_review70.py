"""Regressions from review 70 of task specs, judge specs and the recipe's help text."""

from __future__ import annotations

import re

import pytest

from safealign.evals.suites import DEV_REASONING, get_suite
from safealign.judges import JudgeSpecError, build_judges, parse_judge_spec
from safealign.tasks.problems import FamilyConfigError, family_settings, parse_family_spec


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("basic_arithmetic?max_digits=1&max_digits=2", "max_digits is set twice .*give max_digits once"),
        ("basic_arithmetic?max_digits=2&max_digits=2", "max_digits is set twice"),
        ("basic_arithmetic?max_digits=010", "max_digits=010: .*octal number 8, not 10: write 10"),
        ("basic_arithmetic?max_terms=1:3", "max_terms=1:3: .*base-60 number 63"),
        ("basic_arithmetic?operators=[+, 010]", "octal number 8"),  # an item of a list YAML reads
        ("basic_arithmetic?operators=[*, 010]", "octal number 8"),  # an item of a list YAML cannot read ("*")
    ],
)
def test_a_task_spec_that_would_read_other_settings_than_written_is_refused(spec: str, said: str) -> None:
    """`eval --suites 'rg:x?a=1&a=2'` and an RL task used the last of a repeated key, and max_digits=010 was octal 8,
    without a word (the recipe loader refuses both); the error names the spec and the fix."""
    with pytest.raises(FamilyConfigError, match=said) as refused:
        parse_family_spec(spec)
    assert str(refused.value).startswith(repr(spec))
    with pytest.raises(FamilyConfigError, match=said):
        get_suite(f"rg:{spec}")


def test_task_settings_that_read_as_written_are_kept() -> None:
    assert family_settings("max_digits=07&seed='010'&when='1:30'&x=0:30") == {
        "max_digits": 7,
        "seed": "010",
        "when": "1:30",
        "x": "0:30",  # 0:30 is no YAML 1.1 number
    }
    assert parse_family_spec(DEV_REASONING["count_bits"].removeprefix("rg:")) == (
        "count_bits",
        {"min_n": 1, "max_n": 64, "seed": 20010},
    )


@pytest.mark.parametrize("spec", ["openai:http://127.0.0.1:8000/v1#", "openai:http://127.0.0.1:8000/v1# "])
def test_a_judge_spec_with_no_model_after_the_hash_is_refused(spec: str) -> None:
    """'openai:URL#' graded with gpt-4o-mini without a word, though the '#' was there to name the model (a local
    server serves no gpt-4o-mini: the eval failed at its first request, after training)."""
    with pytest.raises(JudgeSpecError, match="no model name after '#'.*leave the '#' out for gpt-4o-mini"):
        parse_judge_spec(spec)


def test_a_judge_specs_model_name_is_read_without_the_blanks_around_it() -> None:
    """'openai:URL#  grader' asked the server for the model '  grader'."""
    assert parse_judge_spec("openai:http://127.0.0.1:8000/v1 #  grader") == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "grader",
    )
    assert build_judges("openai:http://127.0.0.1:8000/v1#  grader").harm.model == "grader"
    assert parse_judge_spec("openai:http://127.0.0.1:8000/v1")[2] == "gpt-4o-mini"  # no '#': the default


def test_the_monitor_sections_help_names_each_command_that_reads_a_variable() -> None:
    """The help (and docs/recipe.md) said $SAFEALIGN_MONITOR_JUDGE was read by `monitor judge` only; since e1a8ed5
    the gateway and `monitor evaluate` read it too. Each variable's commands are read here from the CLI itself."""
    import typer

    from safealign.cli import monitor_cmd
    from safealign.config import Recipe

    group = typer.main.get_command(monitor_cmd.app)
    commands = {"safealign monitor": group.params} | {
        f"monitor {name}": command.params for name, command in group.commands.items()
    }
    readers: dict[str, set[str]] = {}
    for command, params in commands.items():
        for param in params:
            if isinstance(param.envvar, str) and param.envvar.startswith("SAFEALIGN_MONITOR_"):
                readers.setdefault(param.envvar, set()).add(command)
    assert readers["SAFEALIGN_MONITOR_JUDGE"] == {"safealign monitor", "monitor judge", "monitor evaluate"}
    help_text = Recipe.model_fields["monitor"].description
    said = {
        variable: set(re.findall(r"`([^`]+)`", commands_named))
        for variable, commands_named in re.findall(r"\$(SAFEALIGN_MONITOR_\w+) \(([^)]*)\)", help_text)
    }
    assert said == readers


def test_a_stored_suite_name_refused_since_is_shown_as_stored_not_raised() -> None:
    """Task specs now refuse a key given twice or a YAML 1.1 number; an eval folder made before keeps such a suite name,
    and `eval-diff`/`eval-arms` tables (short_suite_name) raised on it instead of showing it."""
    from safealign.evals.suites import short_suite_name

    for name in ("rg:basic_arithmetic?max_digits=1&max_digits=2", "rg:basic_arithmetic?max_digits=010"):
        assert short_suite_name(name) == name
    assert short_suite_name("rg:basic_arithmetic?max_digits=2&seed=7") == "rg:basic_arithmetic?…seed=7"
