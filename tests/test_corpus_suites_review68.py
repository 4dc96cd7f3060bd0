"""Review 68: `data check`'s messages for rows of other chat forms, and eval suite names a user may get wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.corpus.validate import validate_rows
from safealign.evals.suites import get_suite

TURNS = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]


def _messages(row: dict) -> list[str]:
    return [f"{p.field}: {p.message}" for p in validate_rows(Path("rows.jsonl"), [(1, row)])]


def test_messages_written_as_the_json_text_of_the_list_names_the_fix() -> None:
    # a CSV export's column of lists: "needs a non-empty list", though the list is there, as its text
    (problem,) = _messages({"messages": json.dumps(TURNS)})
    assert problem.startswith("messages: is a string holding the JSON text of a list of turns")
    assert "json.loads(row['messages'])" in problem
    # other strings keep the plain message
    assert _messages({"messages": "Hi"}) == ["messages: needs a non-empty list of {role, content} messages"]


@pytest.mark.parametrize(
    ("role", "meant"), [("User", "user"), ("ASSISTANT", "assistant"), ("human", "user"), ("gpt", "assistant")]
)
def test_a_role_of_another_spelling_or_chat_format_suggests_ours(role: str, meant: str) -> None:
    turns = [dict(turn) for turn in TURNS]
    turns[0 if meant == "user" else 1]["role"] = role
    assert any(
        problem.startswith("messages[") and problem.endswith(f"got {role!r} (did you mean {meant!r}?)")
        for problem in _messages({"messages": turns})
    )


def test_a_sharegpt_turn_inside_messages_names_the_form() -> None:
    problems = _messages({"messages": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]})
    assert sum("this turn is in ShareGPT form" in problem for problem in problems) == 2
    assert not _messages({"messages": TURNS})


def test_a_kind_in_capitals_suggests_the_lower_case_one() -> None:
    assert _messages({"messages": TURNS, "kind": "Harmful"})[0].endswith("(did you mean 'harmful'?)")
    # not the closest spelling: a harmless row is no harmful one
    assert "did you mean" not in _messages({"messages": TURNS, "kind": "harmless"})[0]


def test_a_suite_name_in_capitals_suggests_the_lower_case_one() -> None:
    # difflib suggested nothing for 'HARMFUL' (it did for 'Harmful')
    with pytest.raises(
        ValueError, match=r"unknown eval suite 'HARMFUL' \(did you mean 'harmful'\?\); valid: "
    ):
        get_suite("HARMFUL")
    with pytest.raises(ValueError, match=r"\(did you mean 'borderline_dev'\?\)"):
        get_suite("BORDERLINE_DEV")


def test_a_json_prompt_file_is_told_to_be_jsonl(tmp_path: Path) -> None:
    # `prompts.json` was "unknown eval suite 'prompts.json'" with the built-in names, as if it were a typo of one
    file = tmp_path / "prompts.json"
    file.write_text(json.dumps([{"prompt": "How do I pick a lock?"}]))
    with pytest.raises(
        ValueError, match=r"not \.json.*jq -c '\.\[\]'.*and give borderline:.*prompts\.jsonl$"
    ):
        get_suite(f"borderline:{file}")
    with pytest.raises(ValueError, match=r"not \.json"):
        get_suite("prompts.JSON")
