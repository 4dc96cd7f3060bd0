"""Every shipped data file has a data card, and each training file's card states its real row count.

Two of the cards (``benign_helpful.md``, ``reasoning.md``) are written by hand, so no builder keeps
their numbers in step with the files; this test does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safealign.corpus.registry import TRAIN_DATASETS

DATA = Path(__file__).resolve().parents[1] / "safealign" / "data"
CARDS = {path.name: path.read_text(encoding="utf-8") for path in (DATA / "cards").glob("*.md")}


@pytest.mark.parametrize("data_file", sorted(p.name for p in DATA.rglob("*.jsonl")))
def test_every_data_file_is_named_in_a_card(data_file: str) -> None:
    assert any(data_file in text for text in CARDS.values()), (
        f"{data_file} has no data card under safealign/data/cards"
    )


@pytest.mark.parametrize("name", sorted(TRAIN_DATASETS))
def test_a_training_card_states_the_files_row_count(name: str) -> None:
    path = DATA / "train" / f"{name}.jsonl"
    rows = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    card = CARDS.get(f"{name}.md")
    assert card is not None and card.startswith(f"## {name}.jsonl"), (
        f"cards/{name}.md should open with '## {name}.jsonl'"
    )
    stated = re.search(r"\*\*What it is\.\*\* (\d+) ", card)
    assert stated, f"cards/{name}.md: no '**What it is.** N ...' sentence"
    assert int(stated.group(1)) == rows, f"cards/{name}.md states {stated.group(1)} rows; the file has {rows}"
    last_id = re.search(r"…\s+`[a-z]+-(\d+)`", card)
    assert last_id and int(last_id.group(1)) == rows, f"cards/{name}.md: the id range should end at {rows}"


def test_the_multilingual_cards_chinese_length_range_holds_as_the_card_says_it_is_counted() -> None:
    """The card said 40-160 Han characters; the builder counts Han characters plus numbers, and ml-0143 (a list of the
    primes under 100) has 31 Han characters."""
    import json

    card = CARDS["multilingual.md"]
    stated = re.search(r"(\d+)–(\d+) Han characters and numbers, each number counting as one", card)
    assert stated, (
        "cards/multilingual.md should say how a Chinese answer's length is counted (Han characters and numbers)"
    )
    low, high = map(int, stated.groups())
    rows = [
        json.loads(line)
        for line in (DATA / "train" / "multilingual.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    zh_benign = [row for row in rows if row["language"] == "zh" and row["kind"] == "benign"]
    assert "ml-0143" in {row["id"] for row in zh_benign}, (
        "multilingual.jsonl has no Chinese benign row ml-0143 (language zh, kind benign): the length check below "
        "covers none or misses the row the count was fixed for; check the rows' language and kind"
    )
    for row in zh_benign:
        answer = row["messages"][-1]["content"]
        length = len(re.findall(r"[\u4e00-\u9fff]", answer)) + len(re.findall(r"\d+", answer))
        assert low <= length <= high, (row["id"], length)
