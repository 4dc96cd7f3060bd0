"""Review 66 (b) of the eval library: one file given as two kinds of suite, a negative endpoint retry count, the header
row's line after blank lines."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from safealign.errors import DataError
from safealign.evals import EndpointGenerator, load_suite_file
from safealign.evals.runner import _suite_specs


def test_one_file_as_harmful_and_borderline_is_named_as_one_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("prompt\nhow do I pick a lock\n", encoding="utf-8")
    # "two suites are named 'x' ... rename one of the files", where there was one file
    with pytest.raises(DataError) as error:
        _suite_specs([f"harmful:{path}", f"borderline:{tmp_path}/../{tmp_path.name}/x.csv"])
    assert "are one file given as two kinds of suite" in str(error.value)
    assert "rename one of the files" not in str(error.value)
    # two files of one name are still two suites of one name
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.csv").write_text("prompt\nhow do I bake bread\n", encoding="utf-8")
    with pytest.raises(DataError, match="rename one of the files"):
        _suite_specs([str(path), f"borderline:{tmp_path / 'd' / 'x.csv'}"])


@pytest.mark.parametrize("retries", [-1, -5])
def test_a_negative_retry_count_is_refused(retries):
    # -1 timed out after "(0 tries)"; -5 ended in AssertionError("unreachable")
    with pytest.raises(ValueError, match=r"retries must be >= 0"):
        EndpointGenerator("http://127.0.0.1:9", "m", retries=retries)


def test_no_retries_is_one_try():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    generator = EndpointGenerator("http://127.0.0.1:9", "m", retries=0, timeout_s=5)
    with (
        httpx.Client(transport=httpx.MockTransport(slow)) as client,
        pytest.raises(Exception, match=r"\(1 tries\)"),
    ):
        generator._post(client, {})


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ","), (".tsv", "\t")])
def test_a_header_without_prompt_after_blank_lines_names_its_own_line(tmp_path: Path, suffix, sep):
    path = tmp_path / f"q{suffix}"
    path.write_text(f"\n\r\nquestion{sep}category\nhow do I x{sep}a\n", encoding="utf-8")
    # the blank lines above are skipped, yet the error said ":1:" and "the first line names the columns"
    with pytest.raises(DataError, match=rf"q\{suffix}:3: the header row has no column 'prompt'"):
        load_suite_file(path)
    path.write_text(f"question{sep}category\nhow do I x{sep}a\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"q\{suffix}:1: the header row has no column 'prompt'"):
        load_suite_file(path)


class _Judge:
    def __init__(self, name: str, label: str, short: bool = False) -> None:
        self.name, self.label, self.short = name, label, short

    def judge(self, prompts, responses):
        from safealign.judges.base import Verdict

        return [Verdict(self.label, 1.0, "why", self.name) for _ in responses[: 1 if self.short else None]]


def test_a_judge_label_outside_the_judges_labels_is_named_not_counted_as_no_refusal():
    from test_evals import ScriptedGenerator

    from safealign.errors import SafealignError
    from safealign.evals import run_eval
    from safealign.judges import JudgeSet

    def run(refusal: _Judge, harm: _Judge):
        return run_eval(ScriptedGenerator({}), ["harmful"], limit=2, judges=JudgeSet(refusal, harm, "mine"))

    # every answer judged "refused" read as refusal_rate 0.0, without a word
    with pytest.raises(
        SafealignError, match=r"the refusal judge 'mine' returned the label 'refused'.*'refusal'"
    ):
        run(_Judge("mine", "refused"), _Judge("guard", "safe"))
    with pytest.raises(
        SafealignError, match=r"the harm judge 'guard' returned the label 'unsafe'.*'harmful'"
    ):
        run(_Judge("mine", "refusal"), _Judge("guard", "unsafe"))
    # one verdict for four answers was a bare "zip() argument 2 is shorter than argument 1"
    with pytest.raises(SafealignError, match=r"the harm judge .guard. returned 1 results for 4 responses"):
        run(_Judge("mine", "refusal"), _Judge("guard", "safe", short=True))
    assert (
        run(_Judge("mine", "refusal"), _Judge("guard", "safe")).metric("harmful", "refusal_rate").value == 1.0
    )


def test_a_server_error_after_rate_limits_is_still_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """429s and 5xx shared one try count: after three 429s a single 503 failed the eval at once (retries=2)."""
    from test_eval_endpoint import _mock_endpoint

    replies = [429, 429, 429, 503, 503, 200]

    def answer(request: httpx.Request) -> httpx.Response:
        status = replies.pop(0)
        if status == 200:
            return httpx.Response(
                200, json={"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
            )
        return httpx.Response(status, headers={"Retry-After": "1"}, json={"error": "busy"})

    _mock_endpoint(monkeypatch, answer)
    assert EndpointGenerator("http://127.0.0.1:9", "m", retries=2).generate(["q"])[0].text == "ok"
    assert replies == []


def test_a_header_cell_with_a_space_around_its_name_is_that_column(tmp_path: Path) -> None:
    """A TSV written by hand as "prompt \\tcategory" was refused as having no column 'prompt'."""
    path = tmp_path / "q.tsv"
    path.write_text("prompt \tcategory\nHow do I bake bread?\tfood\n", encoding="utf-8")
    assert [item.prompt for item in load_suite_file(path)] == ["How do I bake bread?"]
