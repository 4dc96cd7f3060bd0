"""Review 64 of the eval library: repeated generated questions, kept answers inside the model's folder, limits below 1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safealign.errors import SettingError
from safealign.evals import EvalItem, Suite, run_eval, select_items
from safealign.evals.runner import ANSWERS_SO_FAR, drop_answers_older_than_the_model
from safealign.evals.suites import DEV_REASONING


def _problems(prompts: list[str], kind: str = "reasoning") -> Suite:
    items = [
        EvalItem(f"p-{i}", "s", prompt, "gcd", "held_out", answer="1", metadata={"family": "gcd"})
        for i, prompt in enumerate(prompts)
    ]
    return Suite("s", lambda: items, kind, None, "synthetic")


def test_a_generated_question_drawn_twice_is_scored_once() -> None:
    # reasoning-gym draws with replacement: the dev group's count_bits asked 18 of its 60 questions again, each
    # counted as another item (n=60 for 42 questions)
    chosen = select_items(_problems(["gcd(4, 6)?", "gcd(2, 8)?", "gcd(4, 6)?", "gcd(9, 3)?", "gcd(2, 8)?"]))
    assert [item.id for item in chosen] == ["p-0", "p-1", "p-3"]
    count_bits = select_items(DEV_REASONING["count_bits"])
    assert len(count_bits) == len({item.prompt for item in count_bits}) == 42
    # a safety suite's items are its file's rows, each scored as written
    assert len(select_items(_problems(["a", "a"], kind="harmful"))) == 2


def test_answers_kept_inside_the_model_folder_are_not_taken_for_a_newer_model(tmp_path: Path) -> None:
    # `safealign eval MODEL --out MODEL/eval`: the kept file is one of the model folder's files, and was always "as new
    # as the model", so a rerun after a failed judge generated every answer again
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    kept = model / "eval" / ANSWERS_SO_FAR
    kept.parent.mkdir()
    kept.write_text("{}\n")
    earlier = kept.stat().st_mtime - 5
    os.utime(model / "config.json", (earlier, earlier))
    drop_answers_older_than_the_model(kept, str(model))
    assert kept.exists()
    later = kept.stat().st_mtime + 5
    # trained again at the same path: the kept answers are another model's
    os.utime(model / "config.json", (later, later))
    drop_answers_older_than_the_model(kept, str(model))
    assert not kept.exists()


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused_naming_the_setting(limit: int) -> None:
    # -1 chose 14 harmful items of 40 a split; 0 failed as "loaded no items at all, check the data each reads"
    with pytest.raises(SettingError, match=f"limit must be at least 1.*got {limit}"):
        select_items("harmful", limit=limit)
    with pytest.raises(SettingError, match="limit must be at least 1"):
        run_eval(object(), ["harmful"], limit=limit, judges=object())  # type: ignore[arg-type]
