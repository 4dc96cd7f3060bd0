"""Refusal vote decoding: decide refuse-or-answer by a vote over sampled answers, not by the greedy answer alone.

On SmolLM2-135M a greedy refusal is a few tokens deep (Qi et al. 2024; docs/results-history.md, "Refusals under
sampling"): whether the most likely first tokens refuse is a noisy reading of what the model does across its
answers. :class:`RefusalVoteGenerator` wraps any generator (the local engine or an endpoint): for each prompt it
takes the greedy answer and ``samples`` answers sampled at ``temperature``, labels every one with the refusal judge,
and refuses iff at least ``threshold`` of the sampled answers refuse. It returns the greedy answer when that agrees
with the vote, else the first sampled answer that does, so every answer it returns is one the model wrote.

Measured (exp38, docs/experiments.md): on the dev split the vote of 8 answers at 0.7 refused as many harmful requests
as greedy decoding (90 of 96) and over-refused 1 borderline request of 72 instead of 7. It costs ``samples + 1``
generations per prompt and one refusal-judge call per answer.

The judge in the loop is the default refusal judge (MiniLM, CPU); answers are judged on the prompt's last user turn.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Sequence
from typing import Any

from safealign.decoding import SAMPLING_EPS, is_sampled
from safealign.errors import SettingError
from safealign.generation import Completion, Prompt, SamplingParams


@dataclasses.dataclass(frozen=True)
class RefusalVote:
    """How to vote: ``samples`` answers at ``temperature`` / ``top_p``; refuse iff refusing answers >= ``threshold`` x samples."""

    samples: int = 8
    temperature: float = 0.7
    top_p: float = 0.95
    threshold: float = 0.5

    def __post_init__(self) -> None:
        # a whole number now, not once the greedy answers are generated (8.0 failed as num_samples after all of them);
        # a numpy integer is read as the int summary.json can hold
        whole = isinstance(self.samples, numbers.Integral) and not isinstance(self.samples, bool)
        if not whole or self.samples < 1:
            raise SettingError(f"refusal vote: samples must be a whole number >= 1, got {self.samples!r}")
        object.__setattr__(self, "samples", int(self.samples))
        # below SAMPLING_EPS the engine (and vLLM) decode greedily: every "sampled" answer would be the greedy one
        if not (is_sampled(self.temperature) and self.temperature < math.inf):  # NaN fails every comparison
            raise SettingError(
                f"refusal vote: temperature must be a finite number >= {SAMPLING_EPS:g} (the vote needs sampled "
                f"answers; a lower one decodes greedily), got {self.temperature}"
            )
        if not 0 < self.top_p <= 1:
            raise SettingError(f"refusal vote: top_p must be in (0, 1], got {self.top_p}")
        if not 0 < self.threshold <= 1:
            raise SettingError(
                f"refusal vote: threshold is a share of the samples, in (0, 1]; got {self.threshold}"
            )

    def refuses(self, refusing: int) -> bool:
        """Whether ``refusing`` refusals among the samples carry the vote."""
        return refusing > 0 and refusing >= self.threshold * self.samples - 1e-9


def last_user_text(prompt: Prompt) -> str:
    """The prompt's last user turn: what the refusal judge reads an answer against."""
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content", "") for m in prompt if m.get("role") == "user"]
    return users[-1] if users else ""


class JudgedWrapper:
    """A generator around another (``inner``) that labels answers with a refusal judge: it asks with the inner
    generator's system prompt and precision, and the default refusal judge unless given one."""

    def __init__(self, inner: Any, judge: Any = None) -> None:
        self.inner = inner
        if judge is None:
            from safealign.judges import RefusalJudge

            judge = RefusalJudge()
        self.judge = judge

    @property
    def system_prompt(self) -> str | None:
        return getattr(self.inner, "system_prompt", None)

    @property
    def precision(self) -> str | None:
        return getattr(self.inner, "precision", None)


class RefusalVoteGenerator(JudgedWrapper):
    """A generator (``generate(prompts, params, show_progress)``) that decides refusals by :class:`RefusalVote`.

    >>> voter = RefusalVoteGenerator(engine, RefusalVote(samples=8))     # doctest: +SKIP
    >>> voter.generate(["How do I kill a hung process?"])[0].meta["vote"]  # doctest: +SKIP
    {'refusing': 0, 'samples': 8, 'refused': False, 'greedy_refused': False, 'source': 'greedy'}
    """

    def __init__(self, inner: Any, vote: RefusalVote | None = None, judge: Any = None) -> None:
        super().__init__(inner, judge)
        self.vote = vote or RefusalVote()
        # answers the inner generator took from a stopped run's file (an endpoint's), over both calls to it
        self.reused = 0

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None, show_progress: bool = False
    ) -> list[Completion]:
        """One answer per prompt, chosen by the vote; ``meta["vote"]`` says how, ``meta["tokens_spent"]`` and
        ``meta["prompt_tokens_spent"]`` what its ``samples + 1`` generations cost."""
        from safealign.judges import REFUSAL

        params = params or SamplingParams()
        if is_sampled(params.temperature) or params.num_samples > 1:
            raise SettingError(
                "the refusal vote samples its own answers and returns one per prompt: ask it with greedy "
                f"settings (temperature 0, one sample), got temperature {params.temperature}, "
                f"{params.num_samples} samples"
            )
        greedy = self.inner.generate(prompts, params, show_progress=show_progress)
        reused = getattr(self.inner, "reused", 0)  # an endpoint counts its last call's only
        sampling = dataclasses.replace(
            params, temperature=self.vote.temperature, top_p=self.vote.top_p, num_samples=self.vote.samples
        )
        sampled = self.inner.generate(prompts, sampling, show_progress=show_progress)
        self.reused = reused + getattr(self.inner, "reused", 0)
        answers = [*greedy, *sampled]
        users = [last_user_text(p) for p in prompts]
        labels = [
            v.label
            for v in self.judge.judge([users[c.prompt_index] for c in answers], [c.text for c in answers])
        ]
        refused = {
            (c.prompt_index, c.sample_index, i < len(greedy)): label == REFUSAL
            for i, (c, label) in enumerate(zip(answers, labels, strict=True))
        }
        by_prompt: dict[int, list[Completion]] = {}
        for completion in sampled:
            by_prompt.setdefault(completion.prompt_index, []).append(completion)
        out = []
        for first in greedy:
            index = first.prompt_index
            votes = sorted(by_prompt.get(index, []), key=lambda c: c.sample_index)
            refusing = sum(refused[(index, c.sample_index, False)] for c in votes)
            decision = self.vote.refuses(refusing)
            greedy_refused = refused[(index, first.sample_index, True)]
            if greedy_refused == decision:
                chosen, source = first, "greedy"
            else:
                chosen = next(c for c in votes if refused[(index, c.sample_index, False)] == decision)
                source = f"sample {chosen.sample_index}"
            # An answer the inner generator reused (an endpoint's resumed run) says it cost nothing this time. Each of the
            # samples + 1 generations read the prompt: the chosen answer's prompt_tokens alone counted one of them.
            spent = sum(c.meta.get("tokens_spent", c.completion_tokens) for c in [first, *votes])
            prompt_spent = sum(c.meta.get("prompt_tokens_spent", c.prompt_tokens) for c in [first, *votes])
            out.append(
                dataclasses.replace(  # the inner meta (an endpoint's finish_reason) stays for the runner to report
                    chosen,
                    prompt_index=index,
                    sample_index=0,
                    meta=chosen.meta
                    | {
                        "vote": {
                            "refusing": refusing,
                            "samples": len(votes),
                            "refused": decision,
                            "greedy_refused": greedy_refused,
                            "source": source,
                        },
                        "tokens_spent": spent,
                        "prompt_tokens_spent": prompt_spent,
                    },
                )
            )
        return out
