"""Review 75b, two slow paths made fast with the same output: the decontamination report's generated items, and the
live reward-hacking callback's detector pass."""

from __future__ import annotations

from safealign.corpus import eval_texts
from safealign.corpus.decontaminate import decontamination_check
from safealign.corpus.eval_texts import disjointness_report, eval_prompts

# generated problems beside the shipped built-in items (generating the real pools takes seconds), one of them a
# built-in item again, which stays an authored item
GENERATED = [
    ("rg:sum:0", "What is 502 + 888?"),
    ("rg:sum:1", "What is 17 - 9?"),
    ("fmt:2", "List three primes."),
]


def shipped_with_generated(monkeypatch, built_in: list[tuple[str, str]]) -> list[tuple[str, str]]:
    everything = [*built_in, *GENERATED, built_in[3]]
    monkeypatch.setattr(
        eval_texts, "eval_prompts", lambda generated=True: list(everything if generated else built_in)
    )
    return everything


class CountedHash(str):
    """A string that counts how often it is hashed (a set built of items holding it hashes it once)."""

    hashed = 0

    def __hash__(self) -> int:
        CountedHash.hashed += 1
        return super().__hash__()


def test_the_report_hashes_each_built_in_item_once_not_once_per_eval_item(monkeypatch) -> None:
    """`disjointness_report` built ``set(built_in)`` again for each of the ~1,800 eval items it sorted into generated
    problems (95 ms a report, 892 x 1,792 hashes); now the set is built once."""
    built_in = [(CountedHash(item_id), prompt) for item_id, prompt in eval_prompts(generated=False)]
    shipped_with_generated(monkeypatch, built_in)
    CountedHash.hashed = 0
    disjointness_report([("t:0:0", "How do I bake bread?")], suites=())
    assert CountedHash.hashed <= 4 * len(built_in)


def test_the_report_on_the_shipped_suites_is_the_one_the_per_item_set_gave(monkeypatch) -> None:
    """The same exact prompts and shared n-grams, in the same order, as the report computed the old way."""
    built_in = eval_prompts(generated=False)
    everything = shipped_with_generated(monkeypatch, built_in)
    # built-in prompts whole and inside a turn, a generated problem, an n-gram of a long prompt, and clean text
    long_prompt = max((prompt for _, prompt in built_in), key=len)
    turns = [
        ("a:1:0", built_in[0][1]),
        ("a:2:0", "Solve this. What is 502 + 888?"),
        ("a:3:0", built_in[3][1]),
    ]
    turns += [("a:4:0", "Please. " + built_in[5][1]), ("a:5:0", "Quote: " + long_prompt + " Thanks.")]
    turns += [("a:6:0", "How do I bake a loaf of sourdough bread at home?")]
    generated = [item for item in everything if item not in set(built_in)]
    scored = [item for item in built_in if not item[0].startswith("judges:")]
    expected = decontamination_check(turns, built_in, exact_only=generated, contained=scored)
    report = disjointness_report(turns, suites=())
    assert [eval_id for _, eval_id in report.exact] == [built_in[0][0], built_in[3][0]]
    assert [eval_id for _, eval_id, _ in report.overlaps][:2] == ["rg:sum:0", built_in[5][0]]
    assert (report.exact, report.overlaps) == (expected.exact, expected.overlaps)
    assert report.to_dict() == expected.to_dict()
