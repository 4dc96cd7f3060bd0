"""The refusal vote: which answer it returns, what it records, and the settings it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import SettingError
from safealign.evals import run_eval, select_items
from safealign.generation import Completion, SamplingParams
from safealign.judges.base import Verdict
from safealign.voting import RefusalVote, RefusalVoteGenerator


class RefuseJudge:
    """Refusal iff the answer starts with "No"."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[str]]] = []

    def judge(self, prompts, responses):
        self.calls.append((list(prompts), list(responses)))
        return [
            Verdict("refusal" if r.startswith("No") else "compliance", 0.0, "fake", "fake") for r in responses
        ]


class ScriptedSampler:
    """Greedy answer and sampled answers per prompt from a script; records the settings it was asked with."""

    system_prompt = "be kind"
    precision = "fp32"

    def __init__(self, greedy: dict[str, str], sampled: dict[str, list[str]]) -> None:
        self.greedy, self.sampled, self.params = greedy, sampled, []

    def generate(self, prompts, params=None, show_progress=False):
        self.params.append(params)
        if params.temperature == 0:
            return [
                Completion(i, 0, self.greedy[p], 4, len(self.greedy[p].split()), False)
                for i, p in enumerate(prompts)
            ]
        return [
            Completion(i, s, self.sampled[p][s], 4, len(self.sampled[p][s].split()), False)
            for i, p in enumerate(prompts)
            for s in range(params.num_samples)
        ]


def test_the_vote_overrules_the_greedy_answer_both_ways() -> None:
    sampler = ScriptedSampler(
        greedy={"harm": "Sure, here it is", "benign": "No, I won't", "agree": "Here you go"},
        sampled={
            "harm": ["Sure a", "No b", "No c", "Sure d"],  # 2 of 4 refuse: refused at threshold 0.5
            "benign": ["No e", "Fine f", "Fine g", "Fine h"],  # 1 of 4: answered
            "agree": ["Fine i", "Fine j", "No k", "Fine l"],
        },
    )
    judge = RefuseJudge()
    voter = RefusalVoteGenerator(sampler, RefusalVote(samples=4, temperature=0.9, top_p=0.8), judge)
    out = voter.generate(["harm", "benign", "agree"], SamplingParams(max_new_tokens=16, seed=7))
    assert [c.text for c in out] == ["No b", "Fine f", "Here you go"]
    assert [c.prompt_index for c in out] == [0, 1, 2] and all(c.sample_index == 0 for c in out)
    assert out[0].meta["vote"] == {
        "refusing": 2,
        "samples": 4,
        "refused": True,
        "greedy_refused": False,
        "source": "sample 1",
    }
    assert out[1].meta["vote"]["source"] == "sample 1" and out[1].meta["vote"]["refused"] is False
    assert out[2].meta["vote"]["source"] == "greedy"
    assert out[0].meta["tokens_spent"] == 4 + 2 + 2 + 2 + 2  # the greedy answer and all four samples
    greedy_params, vote_params = sampler.params
    assert (greedy_params.temperature, greedy_params.num_samples) == (0.0, 1)
    assert (vote_params.temperature, vote_params.top_p, vote_params.num_samples, vote_params.seed) == (
        0.9,
        0.8,
        4,
        7,
    )
    assert len(judge.calls) == 1 and len(judge.calls[0][1]) == 3 + 12  # every answer judged in one call
    assert voter.system_prompt == "be kind" and voter.precision == "fp32"


def test_the_vote_keeps_the_inner_meta_and_counts_reused_answers_as_free() -> None:
    """The vote's meta replaced the endpoint's, so a content_filter ending went unreported; an answer an endpoint took
    from an earlier run (tokens_spent 0) was counted at its old cost."""
    sampler = ScriptedSampler({}, {})
    sampler.generate = lambda prompts, params=None, show_progress=False: (
        [Completion(0, 0, "", 4, 9, False, meta={"finish_reason": "content_filter", "tokens_spent": 0})]
        if params.temperature == 0
        else [Completion(0, s, "Fine", 4, 3, False) for s in range(params.num_samples)]
    )
    out = RefusalVoteGenerator(sampler, RefusalVote(samples=2), RefuseJudge()).generate(["x"])
    assert out[0].meta["finish_reason"] == "content_filter" and out[0].meta["vote"]["source"] == "greedy"
    assert out[0].meta["tokens_spent"] == 0 + 3 + 3


def test_the_judge_reads_the_last_user_turn_of_a_chat_prompt() -> None:
    chat = [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "last"},
    ]
    sampler = ScriptedSampler({}, {})
    sampler.generate = lambda prompts, params=None, show_progress=False: (
        [Completion(0, 0, "Fine", 4, 1, False)]
        if params.temperature == 0
        else [Completion(0, 0, "No", 4, 1, False)]
    )
    judge = RefuseJudge()
    out = RefusalVoteGenerator(sampler, RefusalVote(samples=1), judge).generate([chat])
    assert judge.calls[0][0] == ["last", "last"] and out[0].text == "No"


@pytest.mark.parametrize(
    ("refusing", "threshold", "refused"),
    [(4, 0.5, True), (3, 0.5, False), (8, 1.0, True), (7, 1.0, False), (1, 0.1, True), (0, 0.1, False)],
)
def test_threshold_is_a_share_of_the_samples(refusing: int, threshold: float, refused: bool) -> None:
    assert RefusalVote(samples=8, threshold=threshold).refuses(refusing) is refused


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"samples": 0}, "samples"),
        ({"temperature": 0.0}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"temperature": float("nan")}, "finite"),
        ({"temperature": float("inf")}, "finite"),
    ],
)
def test_bad_vote_settings_name_the_field(settings: dict, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        RefusalVote(**settings)


def test_the_vote_is_asked_with_greedy_settings_only() -> None:
    voter = RefusalVoteGenerator(ScriptedSampler({}, {}), RefusalVote(), RefuseJudge())
    with pytest.raises(SettingError, match="greedy settings"):
        voter.generate(["x"], SamplingParams(temperature=1.0))


def voted_borderline_eval(out_dir: Path | None = None) -> Any:
    """The eval of two held-out borderline items that greedy decoding refuses and a vote of 2 samples answers."""
    items = select_items("borderline", limit=2)
    sampler = ScriptedSampler(
        {i.prompt: "No, sorry" for i in items}, {i.prompt: ["Fine a", "Fine b"] for i in items}
    )

    class Judges:
        refusal = RefuseJudge()
        spec = "fake"

    voter = RefusalVoteGenerator(sampler, RefusalVote(samples=2), Judges.refusal)
    return run_eval(voter, ["borderline"], split="held_out", limit=2, judges=Judges(), out_dir=out_dir)


def test_run_eval_records_the_vote_and_its_cost(tmp_path: Path) -> None:
    report = voted_borderline_eval(tmp_path)
    assert (
        report.metric("borderline", "over_refusal_rate").value == 0.0
    )  # greedy refused both; the vote answered
    assert report.tokens_generated == 2 * (2 + 2 + 2)
    assert report.config["refusal_vote"] == {
        "samples": 2,
        "temperature": 0.7,
        "top_p": 0.95,
        "threshold": 0.5,
    }
    sample = json.loads((tmp_path / "samples.jsonl").read_text().splitlines()[0])
    assert sample["completion"] == "Fine a" and sample["decoding"]["vote"]["greedy_refused"] is True


def test_eval_cli_refuses_a_vote_with_sampling() -> None:
    result = CliRunner().invoke(
        app, ["eval", "tiny:llama", "--suites", "harmful", "--refusal-vote", "4", "--temperature", "1.0"]
    )
    assert result.exit_code != 0 and "--refusal-vote" in result.output
    result = CliRunner().invoke(
        app, ["eval", "tiny:llama", "--suites", "harmful", "--refusal-vote", "4", "--vote-threshold", "2"]
    )
    assert result.exit_code != 0 and "threshold" in result.output


def test_a_temperature_below_the_sampling_eps_is_greedy_for_the_vote() -> None:
    """1e-6 decodes greedily (``is_sampled``), yet the vote refused it as sampling."""
    sampler = ScriptedSampler({}, {"x": ["No a", "No b"]})
    voter = RefusalVoteGenerator(sampler, RefusalVote(samples=2), RefuseJudge())
    assert len(voter.generate(["x"], SamplingParams(temperature=1e-6))) == 1
    assert [(p.temperature, p.num_samples) for p in sampler.params] == [(1e-6, 1), (0.7, 2)]
