"""Review 65 of the eval statistics and decoding helpers: the refusal vote's cost and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_voting import RefuseJudge, ScriptedSampler, voted_borderline_eval

from safealign.errors import SettingError
from safealign.generation import Completion, SamplingParams
from safealign.voting import RefusalVote, RefusalVoteGenerator


def test_the_vote_counts_the_prompt_tokens_of_all_its_generations(tmp_path: Path) -> None:
    """Each of the samples + 1 generations reads the prompt, but the eval's prompt_tokens counted the chosen answer's
    only (a ninth of a vote of 8)."""
    report = voted_borderline_eval()
    # 2 prompts, 3 generations each, 4 prompt tokens a generation
    assert report.prompt_tokens == 2 * (1 + 2) * 4
    assert report.tokens_generated == 2 * (2 + 2 + 2)


def test_a_reused_chosen_answer_does_not_make_the_votes_prompts_free() -> None:
    """The chosen answer taken from an endpoint's earlier run (prompt_tokens_spent 0) made the whole vote's prompt
    tokens 0, though the greedy answer and the other samples were asked for in this run."""
    reused = {"tokens_spent": 0, "prompt_tokens_spent": 0}
    sampler = ScriptedSampler({}, {})
    sampler.generate = lambda prompts, params=None, show_progress=False: (
        [Completion(0, 0, "No way", 4, 2, False)]
        if params.temperature == 0
        else [
            Completion(0, s, "Fine", 4, 1, False, meta=reused if s == 0 else {})
            for s in range(params.num_samples)
        ]
    )
    out = RefusalVoteGenerator(sampler, RefusalVote(samples=4), RefuseJudge()).generate(["x"])
    assert out[0].meta["vote"]["source"] == "sample 0"
    assert out[0].meta["tokens_spent"] == 2 + 0 + 1 + 1 + 1
    assert out[0].meta["prompt_tokens_spent"] == 4 * 4  # the greedy answer and samples 1-3


@pytest.mark.parametrize("temperature", [1e-6, 9.9e-6])
def test_a_vote_temperature_that_decodes_greedily_is_refused(temperature: float) -> None:
    """Below SAMPLING_EPS the engine and vLLM decode greedily: every "sampled" answer was the greedy one, so the vote
    was greedy decoding at samples + 1 times the cost, recorded as a vote."""
    with pytest.raises(SettingError, match="decodes greedily"):
        RefusalVote(temperature=temperature)
    assert RefusalVote(temperature=1e-5).temperature == 1e-5  # the engine's smallest sampled temperature


@pytest.mark.parametrize("samples", [4.0, True, 2.5])
def test_a_vote_size_that_is_not_a_whole_number_is_refused_before_any_answer(samples: object) -> None:
    """samples=4.0 was taken, and failed as num_samples only after every greedy answer had been generated."""
    sampler = ScriptedSampler({"x": "Fine"}, {"x": ["Fine"] * 4})
    with pytest.raises(SettingError, match="samples must be a whole number"):
        RefusalVoteGenerator(sampler, RefusalVote(samples=samples), RefuseJudge()).generate(
            ["x"], SamplingParams(max_new_tokens=4)
        )
    assert sampler.params == []  # nothing generated


def test_a_numpy_vote_size_is_read_as_an_int() -> None:
    numpy = pytest.importorskip("numpy")
    vote = RefusalVote(samples=numpy.int64(3))
    assert vote.samples == 3 and type(vote.samples) is int
