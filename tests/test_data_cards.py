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
    assert any(data_file in text for text in CARDS.values()), f"{data_file} has no data card under safealign/data/cards"


@pytest.mark.parametrize("name", sorted(TRAIN_DATASETS))
def test_a_training_card_states_the_files_row_count(name: str) -> None:
    path = DATA / "train" / f"{name}.jsonl"
    rows = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    card = CARDS.get(f"{name}.md")
    assert card is not None and card.startswith(f"## {name}.jsonl"), f"cards/{name}.md should open with '## {name}.jsonl'"
    stated = re.search(r"\*\*What it is\.\*\* (\d+) ", card)
    assert stated, f"cards/{name}.md: no '**What it is.** N ...' sentence"
    assert int(stated.group(1)) == rows, f"cards/{name}.md states {stated.group(1)} rows; the file has {rows}"
    last_id = re.search(r"…\s+`[a-z]+-(\d+)`", card)
    assert last_id and int(last_id.group(1)) == rows, f"cards/{name}.md: the id range should end at {rows}"
