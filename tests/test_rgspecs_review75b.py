"""Review 75b of reasoning-gym settings: settings under which a family can never draw a problem (reasoning-gym retried
the draw for ever, so a recipe or rg: suite never loaded, or gave up with "list index out of range") are refused before
drawing, naming the setting, the bound and its default; the settings next to them still draw. One word for a list
that defaults to none (calendar_arithmetic's tasks) is a list of one, not its letters."""

from __future__ import annotations

import re

import pytest

from safealign.tasks.problems import FamilyConfigError, generate_problems, parse_family_spec


@pytest.mark.timeout(60)  # a hang guard: reasoning-gym drew these for ever
@pytest.mark.parametrize(
    ("spec", "fix"),
    [
        # its greedy colouring fails on the first vertex, and it draws another graph for ever
        ("graph_color?num_colors=0", "num_colors=0 leaves no colour for a graph of 10 or more vertices"),
        ("graph_color?num_colors=-1&min_num_vertices=1", "write num_colors=1 or more (its default: 3)"),
        # one person can only say "I tell the truth": it looked for two different statements for ever
        ("knights_knaves?n_people=1", "n_people=1 with depth_constraint=2 has no puzzle with one answer"),
        # a remainder modulo 1 is 0, its targets start at 1: no cell is ever marked
        ("modulo_grid?max_divisor=1", "write max_divisor=2 or more (its default: 20)"),
        # its end cell is drawn until it is not the start cell
        (
            "shortest_path?min_rows=1&max_rows=1&min_cols=1&max_cols=1",
            "every grid one cell, where the path needs a start and an end cell",
        ),
        # its target base is drawn until it is not the source base
        (
            "base_conversion?min_base=16",
            "min_base and max_base are both 16, where a conversion needs two different",
        ),
        ("puzzle24?max_value=1", "no four numbers from 1 to 1 make 24"),
        ("puzzle24?operators=+&max_value=5", "no four numbers from 1 to 5 make 24 with the operators +,"),
        ("puzzle24?operators=[-]", "widen min_value and max_value (its defaults: 1 and 10) or add operators"),
        # an operator it does not know divides (a subtraction where nothing divides): never above 10
        ("puzzle24?operators=x", "with the operators x (it reads x as /)"),
    ],
)
def test_settings_reasoning_gym_draws_for_ever_are_refused_naming_the_bound(spec: str, fix: str) -> None:
    family, config = parse_family_spec(spec)
    with pytest.raises(FamilyConfigError, match=f"^{family}: .*{re.escape(fix)}"):
        generate_problems(family, 1, seed=1, config=config)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("people", [1, 2])
def test_knights_knaves_of_depth_one_is_refused_not_an_index_error(people: int) -> None:
    """At depth 1 every answer's opposite is an answer too: "list index out of range; check each value's type and
    range (integers where the field takes integers)" after 1,000 tries."""
    with pytest.raises(
        FamilyConfigError, match=r"depth_constraint=1 .* write depth_constraint=2 or more \(its default: 2\)"
    ):
        generate_problems("knights_knaves", 1, seed=1, config={"n_people": people, "depth_constraint": 1})


@pytest.mark.parametrize(
    "spec",
    [
        "graph_color?num_colors=0&min_num_vertices=0&max_num_vertices=0",  # a graph of no vertex needs no colour
        "modulo_grid?max_divisor=2",
        "base_conversion?min_base=15",
        "puzzle24?max_value=3",  # 3 * (2 + 3 + 3)
    ],
)
def test_the_settings_next_to_the_bounds_still_draw(spec: str) -> None:
    family, config = parse_family_spec(spec)
    (problem,) = generate_problems(family, 1, seed=1, config=config)
    assert problem.prompt


def test_one_calendar_task_is_read_as_a_list_of_one_not_letter_by_letter() -> None:
    """tasks defaults to None (every task): "tasks=count_days" was "Invalid tasks: _, a, c, d, n, o, s, t, u, y"."""
    family, config = parse_family_spec("calendar_arithmetic?tasks=count_days")
    problems = generate_problems(family, 3, seed=1, config=config)
    assert {problem.metadata["task"] for problem in problems} == {"count_days"}
    family, config = parse_family_spec("calendar_arithmetic?tasks=null")  # every task, as before
    assert len({p.metadata["task"] for p in generate_problems(family, 12, seed=1, config=config)}) > 1
