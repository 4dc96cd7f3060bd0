"""Judges on texts holding a lone UTF-16 surrogate (a valid Python str the Rust tokenizers refuse)."""

from __future__ import annotations

import pytest
from test_judge_adapters import scripted_guard  # noqa: F401  (a fixture)

from safealign.judges import build_judges
from safealign.judges.embeddings import encodable, long_text_windows

PROMPTS = ["How do I bake bread? \ud800", "Tell me a joke."]
ANSWERS = ["Sure: mix flour \udc00 and water, knead and bake.", "I can't help with that \ud83d."]


def test_a_lone_surrogate_reads_as_the_replacement_character() -> None:
    assert encodable("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert encodable("emoji \U0001f600 stays") == "emoji \U0001f600 stays"


def test_the_default_judges_read_a_lone_surrogate_as_a_utf8_decoder_would() -> None:
    judges = build_judges()
    clean_prompts = [encodable(p) for p in PROMPTS]
    clean_answers = [encodable(a) for a in ANSWERS]
    for judge in (judges.refusal, judges.harm):
        got = judge.judge(PROMPTS, ANSWERS)  # raised TypeError: TextEncodeInput must be Union[...]
        want = judge.judge(clean_prompts, clean_answers)
        assert [v.label for v in got] == [v.label for v in want]
        # Batch padding and BLAS threads move the embedding score in the 7th digit under load (0.143808 vs 0.143807
        # seen), so rounding both to 6 digits could straddle a boundary: compare within 1e-5 instead.
        assert [v.score for v in got] == pytest.approx([v.score for v in want], abs=1e-5)


def test_long_text_windows_cut_a_text_with_a_lone_surrogate_at_its_own_offsets() -> None:
    text = "Some context sentence here. " * 60 + "Now the request \ud800 comes at the end."
    windows = long_text_windows(text)
    assert windows and windows[0].endswith("comes at the end.")
    assert all(window in text for window in windows)


def test_llama_guard_tokenizes_a_lone_surrogate(scripted_guard) -> None:  # noqa: F811
    judge = scripted_guard([(3.0, 0.0)])
    assert judge.prompt_ids(PROMPTS[0], ANSWERS[0]) == judge.prompt_ids(encodable(PROMPTS[0]), encodable(ANSWERS[0]))
    assert [v.label for v in judge.judge(PROMPTS[:1], ANSWERS[:1])] == ["safe"]
