"""Review 75b, two slow paths made fast with the same output: the decontamination report's generated items, and the
live reward-hacking callback's detector pass."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace

from safealign.config import HackingConfig
from safealign.corpus import eval_texts
from safealign.corpus.decontaminate import decontamination_check
from safealign.corpus.eval_texts import disjointness_report, eval_prompts
from safealign.hacking.detectors import SettledPoints, run_detectors, series
from safealign.training.hacking_callback import HackingCallback

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


def gate_row(step: int, passed: bool, accuracy: float) -> dict:
    return {"step": step, "gate/accuracy": accuracy, "gate/passed": float(passed), "gate/item_floor": 0.0625}


def long_history(steps: int) -> list[dict]:
    """Training records with a length blow-up, a repetition burst, a KL of None (inf) and a benign-refusal rise, and
    gate checks before their step's record, every fifth one failing (its steps rolled back)."""
    rows: list[dict] = []
    for step in range(1, steps + 1):
        if step % 10 == 0:
            rows.append(gate_row(step, step % 50 != 0, 0.3))
        rows.append(
            {
                "step": step,
                "loss": 0.1,
                "reward": (step % 60) / 60,
                "completions/mean_length": 100.0 * (1 + (step % 60) / 10) if step > 60 else 100.0,
                "completions/clipped_ratio": 0.1,
                "text/repetition": 0.7 if 40 <= step < 45 else 0.05,
                "rewards/accuracy/mean": math.nan if step % 7 == 0 else 0.2,
                "safety/benign_refusal_rate": 0.5 if 80 <= step < 95 else 0.05,
                "kl": None if step == 77 else 0.1,
                **({"non_finite": {"kl": "inf"}} if step == 77 else {}),
            }
        )
    return rows


def logged(rows: list[dict], log: Callable[[list[dict]], None]) -> None:
    """Log the rows one by one as the Trainer does: ``log`` gets each log's history, its last record a fresh copy."""
    for end in range(1, len(rows) + 1):
        log([*rows[: end - 1], dict(rows[end - 1])])


def test_every_log_reads_the_same_alerts_and_points_as_the_whole_history() -> None:
    """The live callback read the whole history at every log (320 ms a log at 2,000 steps, with gate rollbacks);
    now it reads the settled records' points from the last log. Every log's alerts and every key's points are the
    ones the whole history gives."""
    cache, t = SettledPoints(), HackingConfig(window=3)
    seen: list[str] = []

    def log(history: list[dict]) -> None:
        view = cache.view(history)
        alerts = run_detectors(view, t)
        assert [a.to_dict() for a in alerts] == [a.to_dict() for a in run_detectors(history, t)]
        for key, finite in (("kl", False), ("gate/accuracy", True), ("rewards/accuracy/mean", True)):
            assert repr(view.series(key, finite)) == repr(series(history, key, finite))
        seen.extend(alert.detector for alert in alerts)

    rows = long_history(100)
    logged(rows, log)
    logged(rows[:50], log)  # a resumed run's history, shorter and of other records: read afresh
    assert {"length_blowup", "repetition", "refusal_collapse", "kl_blowup"} <= set(seen)


def test_the_live_callback_reads_each_settled_record_once(tmp_path) -> None:
    """The cost that grew with the square of the run: each log read every earlier record again."""

    class Counted(dict):
        reads = 0

        def get(self, *args):  # how the detectors read a record's keys
            self.reads += 1
            return super().get(*args)

    callback = HackingCallback(HackingConfig(window=3), tmp_path)
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    for row in long_history(100):
        state.global_step = row["step"]
        state.log_history.append(Counted(row))
        callback.on_log(None, state, SimpleNamespace(), logs={k: v for k, v in row.items() if k != "step"})
    # read at each of the 110 logs, the first record was read some 30 times a log
    assert max(record.reads for record in state.log_history) < 100
    assert callback.alerts
