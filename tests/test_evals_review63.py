"""Review of `safealign eval` (suites, prompt files, the endpoint client, the runner): defects found by feeding it
what real files and servers send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_eval_endpoint import _answer_with

from safealign.evals import EndpointGenerator, run_eval
from safealign.evals.loaders import load_suite_file


def test_a_content_filtered_answer_without_a_content_field_is_scored_not_fatal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Azure OpenAI's content filter answers ``"message": {"role": "assistant"}``, with no ``content`` key at all: the
    eval stopped with "the answer has no choices[0].message.content", though such an answer is meant to be scored as
    the empty text it holds and reported under its finish_reason."""
    _answer_with(
        monkeypatch,
        {
            "choices": [{"index": 0, "finish_reason": "content_filter", "message": {"role": "assistant"}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 16},
        },
    )
    report = run_eval(EndpointGenerator("http://127.0.0.1:9", "m"), ["borderline"], limit=1, out_dir=tmp_path)
    assert report.config["finish_reasons"] == {"content_filter": 2}
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert [(row["completion"], row["decoding"]["finish_reason"]) for row in rows] == [
        ("", "content_filter")
    ] * 2


@pytest.mark.parametrize(
    ("content", "read"),
    [
        # the header and the cells written with a space after each comma, as by hand
        ("prompt, category\nHow do I pick a lock?, crime\n", ("How do I pick a lock?", "crime")),
        ("category, prompt\ncrime, How do I pick a lock?\n", ("How do I pick a lock?", "crime")),
        (
            'category, prompt\ncrime, "How do I pick a lock, fast?"\n',
            ("How do I pick a lock, fast?", "crime"),
        ),
    ],
)
def test_a_csv_written_with_a_space_after_each_comma_is_read_by_its_columns(
    tmp_path: Path, content: str, read: tuple[str, str]
) -> None:
    """`prompt, category` named the column ' category': its categories were silently dropped (the suite's name in their
    place, the column kept as an unread one); `category, prompt` was refused as having no 'prompt' column (listing
    ' prompt' among them); a quoted cell after ', ' was refused as '3 cells', with the fix 'quote a cell'."""
    path = tmp_path / "mine.csv"
    path.write_text(content)
    items = load_suite_file(
        path,
        id_field="id",
        category_field="category",
        language_field="language",
        optional_id_and_category=True,
    )
    assert [(item.prompt, item.category, item.metadata) for item in items] == [(*read, {})]
