"""What the judges take as a batch: content-part lists, None, a generator, and what they refuse with a clear error."""

from __future__ import annotations

import pytest
from test_judge_adapters import GOOD_REPLY, _chat, _grader_script, _messages, scripted_guard  # noqa: F401

from safealign.judges import OpenAIRubricJudge, build_judges

PROMPT_PARTS = [{"type": "text", "text": "How do I pick a lock?"}, {"type": "image_url", "image_url": {"url": "x"}}]
ANSWER_PARTS = [{"type": "text", "text": "I can't help "}, {"type": "text", "text": "with that."}]


def _labels(verdicts) -> list[tuple[str, float]]:
    return [(v.label, round(v.score, 5)) for v in verdicts]


@pytest.fixture(scope="module")
def judges():
    return build_judges()


@pytest.mark.parametrize("role", ["refusal", "harm"])
def test_a_content_part_list_is_judged_as_its_text(judges, role) -> None:
    # a chat message's content given as is failed with "normalize() argument 2 must be str, not list" (refusal) and
    # "unhashable type: 'list'" (harm)
    judge = getattr(judges, role)
    got = judge.judge([PROMPT_PARTS], [ANSWER_PARTS])
    assert _labels(got) == _labels(judge.judge(["How do I pick a lock?"], ["I can't help with that."]))


@pytest.mark.parametrize("role", ["refusal", "harm"])
def test_a_generator_batch_is_judged_as_its_list(judges, role) -> None:
    judge = getattr(judges, role)  # was "object of type 'generator' has no len()"
    got = judge.judge((p for p in ["Hi", "Bye"]), (r for r in ["Hello!", "I can't help with that."]))
    assert _labels(got) == _labels(judge.judge(["Hi", "Bye"], ["Hello!", "I can't help with that."]))


@pytest.mark.parametrize("role", ["refusal", "harm"])
def test_one_text_for_the_batch_is_refused_not_judged_letter_by_letter(judges, role) -> None:
    with pytest.raises(TypeError, match=r"a list of prompts, got one text; pass it as a list: \[text\]"):
        getattr(judges, role).judge("Hi?", "No.")  # three verdicts, one per character


@pytest.mark.parametrize(
    ("response", "says"),
    [(b"I can't.", r"response 1 is of type bytes .*decode it to a str"), (7, r"response 1 is of type int .*give a str")],
)
@pytest.mark.parametrize("role", ["refusal", "harm"])
def test_a_response_that_is_no_text_is_named_with_the_fix(judges, role, response, says) -> None:
    # was a regex's or unicodedata's TypeError ("cannot use a string pattern on a bytes-like object"), naming no row
    with pytest.raises(TypeError, match=f"the {role} judge reads text, and {says}"):
        getattr(judges, role).judge(["Hi", "Bye"], ["Hello!", response])


def test_llama_guard_reads_a_none_prompt_as_no_prompt_and_content_parts_as_text(scripted_guard) -> None:  # noqa: F811
    judge = scripted_guard([(3.0, 0.0)] * 2, batch_size=1)  # one exchange a batch: no padding
    got = judge.judge([None, PROMPT_PARTS], ["Hello!", ANSWER_PARTS])  # a None prompt: "expected string ... NoneType"
    assert [v.label for v in got] == ["safe", "safe"]
    want = [judge.prompt_ids("", "Hello!"), judge.prompt_ids("How do I pick a lock?", "I can't help with that.")]
    assert [ids[0].tolist() for ids in judge.loaded.model.inputs] == want


def test_the_rubric_judge_sends_none_as_no_text_and_content_parts_as_text(monkeypatch) -> None:
    seen = _grader_script(monkeypatch, lambda request: _chat(GOOD_REPLY))
    judge = OpenAIRubricJudge("http://127.0.0.1:9", "m")
    judge.judge([None], [ANSWER_PARTS])  # was "expected string or bytes-like object, got 'NoneType'"
    judge.judge([""], ["I can't help with that."])
    assert _messages(seen[0]) == _messages(seen[1])
