"""Decontamination: training data and eval suites must not share prompts.

Two checks, both on normalised text (lower case, punctuation dropped, white space folded):
exact match of whole prompts (catches short items such as "What is 47 + 38?"), and shared word
n-grams (default 8 words; CJK text counts characters as words) between any training turn and an
eval prompt, as in the GPT-3 and Llama contamination studies (they used 8-13 grams).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch for ch in text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Words of normalised text; each CJK character is a word of its own."""
    out: list[str] = []
    for token in normalise(text).split():
        if CJK.search(token):
            out.extend(ch for ch in token if not ch.isspace())
        else:
            out.append(token)
    return out


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass
class ContaminationReport:
    n: int
    train_items: int
    eval_items: int
    exact: list[tuple[str, str]] = field(default_factory=list)
    overlaps: list[tuple[str, str, str]] = field(default_factory=list)  # train id, eval id, shared n-gram

    @property
    def clean(self) -> bool:
        return not self.exact and not self.overlaps

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "train_items": self.train_items,
            "eval_items": self.eval_items,
            "exact_matches": len(self.exact),
            "ngram_overlaps": len(self.overlaps),
            "clean": self.clean,
            "examples": [{"train": t, "eval": e} for t, e in self.exact[:10]]
            + [{"train": t, "eval": e, "ngram": g} for t, e, g in self.overlaps[:10]],
        }


MIN_CONTAINED_WORDS = 3  # an eval prompt this short or longer is also looked for inside training turns


def decontamination_check(
    train: Iterable[tuple[str, str]], evals: Iterable[tuple[str, str]], n: int = 8,
    exact_only: Iterable[tuple[str, str]] = (), contained: Iterable[tuple[str, str]] | None = None,
) -> ContaminationReport:
    """Compare (id, text) pairs of training turns with (id, prompt) pairs of eval items.

    ``exact_only`` items are matched as whole prompts only: generated problems share their family's
    template ("State the final answer to the following arithmetic problem: ...") with every other
    problem of the family, training ones included by design, so only the item itself is a leak.
    An eval prompt shorter than ``n`` words has no n-gram: it is looked for whole inside each training
    turn ("Quick question. What is racketeering? Thanks!" holds the eval prompt "What is racketeering?"),
    from ``MIN_CONTAINED_WORDS`` words on; ``contained`` names the items this applies to (default: ``evals``).
    """
    eval_list = list(evals)
    generated = list(exact_only)
    eval_exact = {normalise(text): item_id for item_id, text in [*eval_list, *generated]}
    index: dict[tuple[str, ...], str] = {}
    for item_id, text in eval_list:
        for gram in ngrams(words(text), n):
            index.setdefault(gram, item_id)
    short: dict[tuple[str, ...], str] = {}
    for item_id, text in eval_list if contained is None else contained:
        if MIN_CONTAINED_WORDS <= len(tokens := tuple(words(text))) < n:
            short.setdefault(tokens, item_id)
    short_lengths = sorted({len(tokens) for tokens in short})
    report = ContaminationReport(n=n, train_items=0, eval_items=len(eval_list) + len(generated))
    for train_id, text in train:
        report.train_items += 1
        key = normalise(text)
        if key in eval_exact:
            report.exact.append((train_id, eval_exact[key]))
            continue
        tokens = words(text)
        found = next(((index[gram], gram) for gram in ngrams(tokens, n) if gram in index), None)
        if found is None:
            found = next(((short[window], window) for k in short_lengths for i in range(len(tokens) - k + 1)
                          if (window := tuple(tokens[i:i + k])) in short), None)
        if found is not None:
            report.overlaps.append((train_id, found[0], " ".join(found[1])))
    return report
