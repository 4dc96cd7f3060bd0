"""Judge specs (``--judge``): parsing, and errors that never show a URL's password."""

from __future__ import annotations

import pytest

from safealign.judges import JudgeSpecError, parse_judge_spec


@pytest.mark.parametrize(
    "spec",
    [
        "openai:https://judge:p#w@h.example.com/v1",  # split at '#': the port 'p' did not parse
        "openai:https://judge:12#w@h.example.com/v1",  # split at '#': https://judge:12 parsed, model 'w@h...'
    ],
)
def test_a_hash_in_the_url_password_is_refused_with_percent_encoding_advice_and_masked(spec: str) -> None:
    """The error said "Port could not be cast to integer value as 'p'" and showed the password."""
    with pytest.raises(JudgeSpecError, match="percent-encode") as error:
        parse_judge_spec(spec)
    message = str(error.value)
    assert "%23" in message and "judge:***@h.example.com" in message
    assert "p#w" not in message and "12#w" not in message


def test_a_password_that_breaks_the_url_is_masked_in_the_parse_error() -> None:
    with pytest.raises(JudgeSpecError, match=r"does not parse; .*percent-encode") as error:
        parse_judge_spec("openai:https://judge:s3/cret@h.example.com/v1")
    assert "s3" not in str(error.value) and "cret" not in str(error.value)


def test_a_misspelt_kind_does_not_show_a_password_with_a_hash() -> None:
    with pytest.raises(JudgeSpecError, match="unknown judge spec") as error:
        parse_judge_spec("opena:https://judge:p#w@h.example.com/v1")
    assert "p#w" not in str(error.value)


def test_a_percent_encoded_password_parses() -> None:
    assert parse_judge_spec("openai:https://judge:p%23w@h.example.com/v1#grader") == (
        "openai",
        "https://judge:p%23w@h.example.com/v1",
        "grader",
    )


def test_a_port_that_does_not_parse_without_a_password_gets_no_password_advice() -> None:
    with pytest.raises(JudgeSpecError, match="does not parse") as error:
        parse_judge_spec("openai:http://h.example.com:x/v1#model@rev")
    assert "percent-encode" not in str(error.value)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("openai: http://127.0.0.1:8000/v1#m", ("openai", "http://127.0.0.1:8000/v1", "m")),
        ("llama-guard:  {folder}", ("llama-guard", "{folder}", "")),
    ],
)
def test_spaces_after_the_colon_are_stripped(tmp_path, spec: str, parsed: tuple[str, str, str]) -> None:
    """ "llama-guard: /tmp" looked for the folder " /tmp" ("the Llama Guard folder  /tmp is not found")."""
    (tmp_path / "config.json").write_text("{}")
    expected = tuple(part.format(folder=tmp_path) for part in parsed)
    assert parse_judge_spec(spec.format(folder=tmp_path)) == expected
