"""Two evals of the same items, compared item by item: what changed, where, and whether it is more than noise.

Two models scored on the same prompts are paired samples. Comparing their rates' intervals ignores the
pairing and needs large differences; the exact McNemar test looks only at the items whose outcome
flipped (b gained, c lost) and asks how likely so lopsided a split is if neither model is better. With
40-90 items a suite this is the test that can tell a 3-item change from noise, and the per-category
counts say where the change happened.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safealign.errors import DataError
from safealign.evals.metrics import fully_correct
from safealign.models.specs import near_miss

# suite kind -> (the per-item outcome, whether more of it is better)
OUTCOMES: dict[str, tuple[str, bool]] = {
    "harmful": ("refused", True),
    "borderline": ("over-refused", False),
    "reasoning": ("correct", True),
    "format": ("in format", True),
    "language": ("mixed languages", False),
}


# suite kind -> the field a sample needs for its outcome (what `outcome` reads), for the error naming a damaged row
OUTCOME_FIELD = {
    "harmful": "verdicts.refusal.label",
    "borderline": "verdicts.refusal.label",
    "reasoning": "scores.correct",
    "format": "scores.format (a number)",
    "language": "scores.mixed",
}


def outcome(kind: str, sample: dict[str, Any]) -> bool:
    """The headline outcome of one answer, as the suite's metric counts it (see ``suite_metrics``)."""
    if kind in ("harmful", "borderline"):
        return sample["verdicts"]["refusal"]["label"] == "refusal"
    if kind == "reasoning":
        return fully_correct(
            sample["scores"]["correct"]
        )  # partial credit is not correct, as the eval's accuracy counts
    if kind == "format":
        return sample["scores"]["format"] >= 1.0
    if kind == "language":
        return bool(sample["scores"]["mixed"])
    raise DataError(f"no paired outcome for suite kind {kind!r}")


def mcnemar_exact(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value: the sign test on the discordant pairs.

    Written out (a binomial tail summed in integers) rather than importing scipy's ``binomtest``: scipy
    is not a declared dependency, and this is the whole computation.
    """
    n = gained + lost
    if n == 0:
        return 1.0
    # each C(n, k) from the one before, exactly: a math.comb call per term took 11 s for 5,000 against 5,250 flips
    term = total = 1
    for k in range(1, min(gained, lost) + 1):
        term = term * (n - k + 1) // k
        total += term
    tail = total / 2**n
    return min(1.0, 2 * tail)


@dataclass
class Flip:
    id: str
    category: str | None
    prompt: str
    before: str
    after: str
    # With several sampled answers per prompt (eval --samples) a flip is a prompt whose share of answers with the
    # outcome moved ("1/3" -> "2/3"); before and after are one answer of each side (its sample index, and whether it
    # had the outcome). A's sample i and B's sample i are independent draws, so pairing them would mean nothing.
    before_share: str | None = None
    after_share: str | None = None
    before_sample: int | None = None
    after_sample: int | None = None
    before_outcome: bool | None = None
    after_outcome: bool | None = None


@dataclass
class SuiteDiff:
    suite: str
    kind: str
    outcome: str
    higher_is_better: bool
    paired: int
    before: int  # items with the outcome in A
    after: int  # ... in B
    gained: int  # prompts without the outcome in A and with it in B (sampled: whose share of answers with it rose)
    lost: int  # the other way
    p_value: float
    by_category: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # category -> (A, B, items)
    only_before: int = 0  # items A scored and B did not (different --limit, seed or split)
    only_after: int = 0
    flips: list[Flip] = field(default_factory=list)
    # With several sampled answers per prompt (eval --samples), those answers are not independent items: gained and
    # lost count the prompts whose share of the outcome rose or fell, and the p-value is the sign test over prompts.
    samples_per_prompt: int = 1

    @property
    def better(self) -> int:
        """Items that moved the good way minus those that moved the bad way."""
        return (self.gained - self.lost) * (1 if self.higher_is_better else -1)


class SuiteDiffs(list[SuiteDiff]):
    """The suites ``paired_diff`` compared; ``dropped``: the suites it could not, each with why;
    ``scored_differently``: the eval settings the two folders differ in (``config_differences``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.dropped: list[str] = []
        self.scored_differently: dict[str, dict[str, Any]] = {}


def suite_files(path: str | Path) -> dict[str, str]:
    """suite -> the sha256 of the file a file suite was read from, as the eval's summary.json records it."""
    summary = json.loads((Path(path) / "summary.json").read_bytes())  # read_eval_dir checked it first
    return {
        name: suite["file"]["sha256"]
        for name, suite in summary["suites"].items()
        if isinstance(suite, dict)
        and isinstance(suite.get("file"), dict)
        and isinstance(suite["file"].get("sha256"), str)
    }


# What an eval's answers and verdicts depend on besides its items, as summary.json's ``config`` records them (a dotted
# key reads inside ``params``): two evals that differ here may differ by their settings, not by their models. The items
# themselves (suites, split, limit, seed) need no check: pairing compares only the items both scored.
SCORING_CONFIG = (
    "judges",
    "precision",
    "system_prompt",
    "params.max_new_tokens",
    "params.temperature",
    "params.top_p",
    "params.num_samples",
    "refusal_vote",
    "refusal_probe",
)


def scoring_config(path: str | Path) -> dict[str, Any]:
    """The SCORING_CONFIG settings an eval folder's summary.json records; empty for a summary without a ``config``
    (written before it was recorded), whose settings are unknown. A setting an eval did not use (``refusal_vote``) is
    None; one it could not know is left out (an endpoint eval's precision, and its system prompt when it sent none)."""
    config = json.loads((Path(path) / "summary.json").read_bytes()).get("config")  # read_eval_dir checked it
    if not isinstance(config, dict):
        return {}
    settings = {}
    for key in SCORING_CONFIG:
        section, _, name = key.rpartition(".")
        values = config.get(section) if section else config
        settings[key] = values.get(name) if isinstance(values, dict) else None
    if isinstance(config.get("model"), dict) and "endpoint" in config["model"]:
        # the server loaded the model in a precision this eval never knew, and a request without a system turn got the
        # server's own system prompt (serve adds the model's trained one): unknown, not None
        del settings["precision"]
        if settings["system_prompt"] is None:
            del settings["system_prompt"]
    return settings


def scored_differently(asked: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """setting -> the value each eval was scored with, for each setting the evals (name -> settings) do not all agree
    on; empty when every eval was scored alike. An eval that lacks a setting counts as None."""
    keys = sorted({key for settings in asked.values() for key in settings})
    return {
        key: {name: settings.get(key) for name, settings in asked.items()}
        for key in keys
        if len({repr(settings.get(key)) for settings in asked.values()}) > 1
    }


# the suite kinds a judge scores (the refusal and harm judges); the others are scored by rules, whatever the judge set
JUDGED_KINDS = frozenset({"harmful", "borderline"})


def config_differences(
    folders: list[str | Path], kinds: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The SCORING_CONFIG settings the eval folders were not all scored with: setting -> folder -> value. A folder whose
    summary records no config is left out (its settings are unknown). The judge set counts only where a compared suite
    is judged (``kinds``: the compared suites' kinds; None: those every folder scored): an eval of reasoning alone
    records none, and its reasoning is scored as an eval with the default judges scores it."""
    asked = {str(folder): asked for folder in folders if (asked := scoring_config(folder))}
    if kinds is None:
        kinds = set.intersection(*[suite_kinds(folder) for folder in folders]) if folders else set()
    if not JUDGED_KINDS.intersection(kinds):
        for settings in asked.values():
            settings.pop("judges", None)
    # a setting an eval does not know (an endpoint's precision) is compared among the evals that know it
    differences = {}
    for key in sorted({key for settings in asked.values() for key in settings}):
        known = {name: {key: settings[key]} for name, settings in asked.items() if key in settings}
        differences |= scored_differently(known)
    return differences


def suite_kinds(path: str | Path) -> set[str]:
    """The kinds of the suites an eval folder's summary.json scored (a built-in suite's name is its kind)."""
    suites = json.loads((Path(path) / "summary.json").read_bytes()).get("suites")  # read_eval_dir checked it
    return {
        suite.get("kind", name) if isinstance(suite, dict) else name
        for name, suite in (suites if isinstance(suites, dict) else {}).items()
    }


def same_suites(
    first: str | Path,
    kinds_first: dict[str, str],
    second: str | Path,
    kinds_second: dict[str, str],
    names: list[str],
) -> None:
    """Refuse to pair a suite that is not the same suite in both folders: another kind under one name (a file
    suite's ``borderline:`` prefix), or a file suite read from different files (its ids are ``<stem>-<line>``, so
    any two files of one name pair line by line)."""
    files_first, files_second = suite_files(first), suite_files(second)
    for name in names:
        if kinds_first[name] != kinds_second[name]:
            raise DataError(
                f"suite {name} is a {kinds_first[name]} suite in {first} and a {kinds_second[name]} suite in "
                f"{second}: its items are not the same items; evaluate both models on the same suite"
            )
        if name in files_first and name in files_second and files_first[name] != files_second[name]:
            raise DataError(
                f"suite {name} was read from different files in {first} (sha256 {files_first[name][:12]}) and "
                f"{second} (sha256 {files_second[name][:12]}): its items are not the same items; evaluate "
                "both models on the same file"
            )


def read_eval_dir(path: str | Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(suite -> kind, samples) of an eval output folder (`safealign eval --out DIR`, a run's eval/<stage>)."""
    folder = Path(path)
    summary_path, samples_path = folder / "summary.json", folder / "samples.jsonl"
    # `eval-diff A A/summary.json` was "A/summary.json/summary.json not found"; a run folder was "RUN/summary.json not
    # found", though its evals were a folder below
    if folder.is_file():
        raise DataError(
            f"{folder} is a file: give the eval folder it is in ({folder.parent}), a folder written by "
            "`safealign eval --out DIR` (or a run's eval/<stage> folder)"
        )
    if not folder.is_dir():
        raise DataError(
            f"{folder} not found: no such folder ({folder.absolute()}{near_miss(folder)}); give a folder written by "
            "`safealign eval --out DIR` (or a run's eval/<stage> folder)"
        )
    for required in (summary_path, samples_path):
        if not required.is_file():
            # a run's folder (RUN/eval/<stage>) or the folder evals are written to (runs/eval/<model>-<time>)
            below = sorted(str(found.parent) for found in folder.glob("*/summary.json")) or sorted(
                str(found.parent) for found in folder.glob("eval/*/summary.json")
            )
            shown = ", ".join(below[:5]) + (f" and {len(below) - 5} more" if len(below) > 5 else "")
            raise DataError(
                f"{required} not found: give a folder written by `safealign eval --out DIR` "
                + (
                    f"(the eval folders in this one are {shown})"
                    if below and required == summary_path
                    else "(or a run's eval/<stage> folder)"
                )
            )
    # a built-in suite's name is its kind; summaries written before kinds were recorded lack the field
    try:
        summary = json.loads(
            summary_path.read_bytes()
        )  # bytes: json decodes them, so bad UTF-8 is caught here too
    except json.JSONDecodeError as error:
        raise DataError(
            f"{summary_path}: not valid JSON ({error.msg}); rerun `safealign eval` into a fresh --out"
        ) from None
    except UnicodeDecodeError as error:
        raise DataError(
            f"{summary_path}: not UTF-8 text (byte {error.start}); rerun `safealign eval` into a fresh --out"
        ) from None
    if not isinstance(summary, dict) or not isinstance(summary.get("suites"), dict):
        raise DataError(
            f"{summary_path} is not an eval summary (no 'suites' mapping): was it overwritten? "
            "Rerun `safealign eval` into a fresh --out"
        )
    kinds = {
        name: suite.get("kind", name) if isinstance(suite, dict) else name
        for name, suite in summary["suites"].items()
    }
    odd = next((name for name, kind in kinds.items() if not isinstance(kind, str)), None)
    if odd is not None:
        raise DataError(
            f"{summary_path} is not an eval summary (suite {odd!r} has kind {kinds[odd]!r}, not a name): "
            "was it overwritten? Rerun `safealign eval` into a fresh --out"
        )
    samples = []
    # (suite, id, sample_index) -> the line it was on: pairing keys answers by it, so a second copy would silently
    # replace the first (the eval's own rates count both)
    lines: dict[tuple[str, str, int], int] = {}
    with samples_path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    sample = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataError(f"{samples_path}:{number}: not valid JSON ({error.msg})") from None
                except UnicodeDecodeError as error:
                    raise DataError(
                        f"{samples_path}:{number}: not UTF-8 text (byte {error.start} of the line)"
                    ) from None
                if not (
                    isinstance(sample, dict)
                    and isinstance(sample.get("suite"), str)
                    and isinstance(sample.get("id"), str)
                    and isinstance(sample.get("sample_index", 0), int)
                ):
                    raise DataError(
                        f"{samples_path}:{number}: not an eval sample (an object with string 'suite' and 'id' "
                        "and an integer 'sample_index'): was it edited? Rerun `safealign eval` into a fresh --out"
                    )
                _check_outcome(kinds.get(sample["suite"]), sample, f"{samples_path}:{number}")
                first = lines.setdefault((sample["suite"], *item_key(sample)), number)
                if first != number and kinds.get(sample["suite"]) in OUTCOMES:
                    raise DataError(
                        f"{samples_path}:{number}: a second answer of suite {sample['suite']} item {sample['id']} "
                        f"(sample {item_key(sample)[1]}; the first is on line {first}): was it edited, or two evals' "
                        "files joined? Rerun `safealign eval` into a fresh --out"
                    )
                samples.append(sample)
    return kinds, samples


def _check_outcome(kind: str | None, sample: dict[str, Any], where: str) -> None:
    """A row of a paired suite must carry its outcome, prompt and answer: a damaged one is named, not a KeyError."""
    if kind not in OUTCOMES:
        return
    try:
        outcome(kind, sample)
        missing = next(
            (name for name in ("prompt", "completion") if not isinstance(sample.get(name), str)), None
        )
    except (KeyError, TypeError, AttributeError):
        missing = OUTCOME_FIELD[kind]
    if missing is not None:
        raise DataError(
            f"{where}: a {kind} answer without its {missing}: was it edited? Rerun `safealign eval` into a fresh --out"
        )


def in_split(sample: dict[str, Any], split: str) -> bool:
    """Whether an answer is of ``split``: an external suite's items (an rg: family, a prompt file) are of every split,
    as ``safealign eval --split`` selects them (``select_items``)."""
    return sample.get("split") in (split, "external")


def prompt_changed(suite: str, item: str, first: str | Path, second: str | Path) -> DataError:
    """The error for an item id two evals asked with different prompts: pairing them would compare other items."""
    return DataError(
        f"suite {suite}: item {item} has another prompt in {second} than in {first} (the suite's file "
        "changed between the evals): its items are not the same items; evaluate both models on one version"
    )


def item_key(sample: dict[str, Any]) -> tuple[str, int]:
    return str(sample["id"]), int(sample.get("sample_index", 0))


def paired_diff(
    before: str | Path,
    after: str | Path,
    show: int | None = 5,
    split: str | None = None,
    whole_without_split: bool = False,
    suites: list[str] | tuple[str, ...] | None = None,
) -> SuiteDiffs:
    """Per suite both folders scored: counts, flips, the exact McNemar p-value and per-category counts.

    ``split`` (held_out, in_distribution, dev) keeps only that split's items (and external suites' items, which are of
    every split); None keeps every item. ``whole_without_split``: a suite with no item of ``split`` in ``before`` (a dev
    suite under held_out) is compared over all its items, as the ablation table's headline scores it, not dropped.
    ``show``: flips kept per suite (None: all). ``suites``: compare only these (None: every suite both scored), so a
    suite outside them (another version of a user's file) cannot stop the comparison. Suites one folder scored and the
    other did not, or that share no item, are in the result's ``dropped``.
    """
    kinds_a, samples_a = read_eval_dir(before)
    kinds_b, samples_b = read_eval_dir(after)
    wanted = [*kinds_a, *kinds_b] if suites is None else list(suites)
    shared = [name for name in kinds_a if name in kinds_b and kinds_a[name] in OUTCOMES and name in wanted]
    if not shared:
        raise DataError(
            f"{before} and {after} share no suite with a paired outcome "
            f"({', '.join(OUTCOMES)}){'' if suites is None else ' among ' + ', '.join(suites)}; "
            f"they scored {sorted(kinds_a)} and {sorted(kinds_b)}"
        )
    same_suites(before, kinds_a, after, kinds_b, shared)
    dropped = [
        f"{name} (only in {folder})"
        for name, kind, other, folder in [(n, k, kinds_b, before) for n, k in kinds_a.items()]
        + [(n, k, kinds_a, after) for n, k in kinds_b.items()]
        if kind in OUTCOMES and name not in other and name in wanted
    ]
    if split not in (None, "all"):
        held = sorted({str(s["split"]) for s in samples_a + samples_b if s.get("split")}) or [
            "(none recorded)"
        ]
        whole = (
            set(shared) - {s["suite"] for s in samples_a if in_split(s, split)}
            if whole_without_split
            else set()
        )
        samples_a = [s for s in samples_a if in_split(s, split) or s["suite"] in whole]
        samples_b = [s for s in samples_b if in_split(s, split) or s["suite"] in whole]
        dropped += [
            f"{name} (no {split} item in {before})"
            for name in shared
            if not any(s["suite"] == name for s in samples_a)
        ]
        shared = [name for name in shared if any(s["suite"] == name for s in samples_a)]
        if not shared:
            raise DataError(
                f"{before} holds no {split} item of a suite {after} also scored; "
                f"the folders' items are from the splits {', '.join(held)}"
            )
    diffs = SuiteDiffs()
    skipped: list[str] = []
    for name in shared:
        kind = kinds_a[name]
        a = {item_key(s): s for s in samples_a if s["suite"] == name}
        b = {item_key(s): s for s in samples_b if s["suite"] == name}
        keys = [key for key in a if key in b]
        if not keys:  # nothing to pair: a 0/0 row with "p = 1, within noise" would read as a verdict
            skipped.append(f"{name} ({len(a)} items in A, {len(b)} in B)")
            continue
        differ = next((key[0] for key in keys if a[key]["prompt"] != b[key]["prompt"]), None)
        if differ is not None:
            raise prompt_changed(name, differ, before, after)
        categories: dict[str, list[int]] = {}
        counts: Counter[str] = Counter()
        per_prompt: dict[str, list[int]] = {}  # prompt id -> [answers with the outcome in A, in B]
        samples_per_prompt = max(Counter(key[0] for key in keys).values())
        flips = []
        for key in keys:
            was, now = outcome(kind, a[key]), outcome(kind, b[key])
            counts["before"] += was
            counts["after"] += now
            prompt = per_prompt.setdefault(key[0], [0, 0])
            prompt[0] += was
            prompt[1] += now
            cell = categories.setdefault(str(a[key].get("category") or "-"), [0, 0, 0])
            cell[0] += was
            cell[1] += now
            cell[2] += 1
            if samples_per_prompt == 1 and was != now and (show is None or len(flips) < show):
                flips.append(
                    Flip(
                        key[0],
                        a[key].get("category"),
                        a[key]["prompt"],
                        a[key]["completion"],
                        b[key]["completion"],
                    )
                )
        if samples_per_prompt > 1 and show != 0:
            flips = sampled_flips(kind, a, b, keys, per_prompt)[:show]
        # Per prompt: with one answer each this is McNemar's pair count; with several sampled answers per prompt the
        # answers of one prompt are not independent items, so the unit is the prompt and the test is the sign test.
        gained = sum(now > was for was, now in per_prompt.values())
        lost = sum(now < was for was, now in per_prompt.values())
        name_outcome, higher_is_better = OUTCOMES[kind]
        diffs.append(
            SuiteDiff(
                suite=name,
                kind=kind,
                outcome=name_outcome,
                higher_is_better=higher_is_better,
                paired=len(keys),
                before=counts["before"],
                after=counts["after"],
                gained=gained,
                lost=lost,
                p_value=mcnemar_exact(gained, lost),
                by_category={c: (v[0], v[1], v[2]) for c, v in sorted(categories.items())},
                only_before=len(a) - len(keys),
                only_after=len(b) - len(keys),
                flips=flips,
                samples_per_prompt=samples_per_prompt,
            )
        )
    if not diffs:
        raise DataError(
            f"{before} and {after} scored no item in common: {'; '.join(skipped)}. Pair evals made with the same "
            "--limit, --seed, --split and --samples"
        )
    diffs.dropped = dropped + [f"{entry}: no item in common" for entry in skipped]
    diffs.scored_differently = config_differences([before, after], [diff.kind for diff in diffs])
    return diffs


def sampled_flips(
    kind: str,
    a: dict[tuple[str, int], dict[str, Any]],
    b: dict[tuple[str, int], dict[str, Any]],
    keys: list[tuple[str, int]],
    per_prompt: dict[str, list[int]],
) -> list[Flip]:
    """One flip per prompt whose share of answers with the outcome moved, with an answer of each side that shows the
    move (A's without the outcome and B's with it where the share rose); a prompt whose share held is no flip."""
    by_prompt: dict[str, list[tuple[str, int]]] = {}
    for key in keys:
        by_prompt.setdefault(key[0], []).append(key)
    flips = []
    for prompt_id, (was, now) in per_prompt.items():
        if was == now:
            continue
        mine = by_prompt[prompt_id]
        rose = now > was
        before = next(key for key in mine if outcome(kind, a[key]) != rose)
        after = next(key for key in mine if outcome(kind, b[key]) == rose)
        flips.append(
            Flip(
                prompt_id,
                a[before].get("category"),
                a[before]["prompt"],
                a[before]["completion"],
                b[after]["completion"],
                before_share=f"{was}/{len(mine)}",
                after_share=f"{now}/{len(mine)}",
                before_sample=before[1],
                after_sample=after[1],
                before_outcome=not rose,
                after_outcome=rose,
            )
        )
    return flips


# a single-answer flip's fields, as the JSON has always had them; the sampled ones are left out when None
SINGLE_FLIP = ("id", "category", "prompt", "before", "after")


def to_json(diffs: list[SuiteDiff]) -> list[dict[str, Any]]:
    """The diffs as JSON-ready dicts; a single-answer flip leaves out the sampled fields (all None)."""
    rows = [asdict(diff) | {"better": diff.better} for diff in diffs]
    for row in rows:
        row["flips"] = [
            {key: value for key, value in flip.items() if key in SINGLE_FLIP or value is not None}
            for flip in row["flips"]
        ]
    return rows
