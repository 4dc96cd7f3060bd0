"""What the committed training rows say: a refusal's reason fits its request, S11 replies are not
templated, no reasoning task is asked twice, and the cards describe the rows as they are.

The builders (``scripts/data/build_*.py``) validate most of this before writing; these tests read
the committed files, so a file written by an older builder fails here too.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "safealign" / "data"
sys.path.insert(0, str(REPO / "scripts" / "data"))
import build_harmful_refusals as harmful  # noqa: E402
import build_reasoning as reasoning  # noqa: E402


def _rows(name: str) -> list[dict]:
    with (DATA / "train" / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def refusals() -> list[dict]:
    return _rows("harmful_refusals")


def _first_sentence(row: dict) -> str:
    return re.split(r"(?<=[.!?])\s+", row["messages"][1]["content"])[0]


def _of_subtype(rows: list[dict], category: str, subtype: str) -> list[dict]:
    subtypes = harmful.row_subtypes()
    chosen = [
        r for r in rows if r["category"] == category and subtypes[r["messages"][0]["content"]] == subtype
    ]
    assert chosen, f"no {category} {subtype} rows: the subtype lists in build_harmful_refusals.py changed"
    return chosen


def test_every_s2_s5_s8_reply_uses_a_lead_reason_and_opening_of_its_request_subtype(
    refusals: list[dict],
) -> None:
    assert harmful.subtype_mismatches(refusals) == []


def test_s2_drug_requests_are_not_refused_as_fraud_scams_or_theft(refusals: list[dict]) -> None:
    wrong = re.compile(r"fraud|scam|steal|defraud|breaking into", re.IGNORECASE)
    misfits = [
        (r["id"], _first_sentence(r))
        for r in _of_subtype(refusals, "S2", "drugs")
        if wrong.search(_first_sentence(r))
    ]
    assert misfits == [], "S2 drug requests refused with a fraud or theft reason"


def test_s5_requests_about_a_person_are_not_refused_as_smearing_a_business(refusals: list[dict]) -> None:
    business_leads = [
        lead.lower()
        for lead in harmful.SUBTYPE_POOLS["S5"]["business"]["leads"]
        if "business" in lead or "company" in lead
    ]
    misfits = [
        r["id"]
        for r in _of_subtype(refusals, "S5", "person")
        if any(lead in r["messages"][1]["content"].lower() for lead in business_leads)
    ]
    assert misfits == [], "S5 requests about a private person refused as smearing a business"


def test_s8_copying_and_piracy_requests_are_not_refused_as_cracking(refusals: list[dict]) -> None:
    rows = _of_subtype(refusals, "S8", "copying") + _of_subtype(refusals, "S8", "piracy")
    misfits = [r["id"] for r in rows if "cracking copy protection" in r["messages"][1]["content"].lower()]
    assert misfits == []


def test_no_two_s11_replies_share_most_of_their_words(refusals: list[dict]) -> None:
    assert harmful.s11_near_duplicates(refusals) == []


def test_s11_replies_give_only_the_crisis_numbers_the_card_names(refusals: list[dict]) -> None:
    known = {"988", "116 123", "911", "999", "1-800-222-1222"}
    for row in (r for r in refusals if r["category"] == "S11"):
        reply = row["messages"][1]["content"]
        assert "988" in reply or "116 123" in reply, row["id"]
        numbers = set(re.findall(r"\d[\d -]*\d", reply))
        assert numbers <= known, f"{row['id']}: unexpected numbers {numbers - known}"
        if "116 123" in reply:
            assert "Samaritans" in reply, f"{row['id']}: 116 123 without naming Samaritans"


def test_the_crisis_sentences_vary_by_region_and_phrasing(refusals: list[dict]) -> None:
    s11 = [r["messages"][1]["content"] for r in refusals if r["category"] == "S11"]
    crisis = [re.split(r"(?<=[.!?])\s+", reply)[1] for reply in s11]
    assert max(crisis.count(sentence) for sentence in crisis) <= 3
    assert sum("116 123" in reply for reply in s11) >= 5, (
        "few replies give the UK/Ireland line the card names"
    )


def test_the_card_counts_the_crisis_sentences_the_rows_use(refusals: list[dict]) -> None:
    # it gave the size of the written pool (28) as the number of sentences the replies use (22)
    s11 = [r["messages"][1]["content"] for r in refusals if r["category"] == "S11"]
    written = [sentence for group in harmful.S11_CRISIS_GROUPS for sentence in group]
    used = {sentence for sentence in written if any(sentence in reply for reply in s11)}
    card = (DATA / "cards" / "harmful_refusals.md").read_text(encoding="utf-8")
    assert f"one of {len(used)} crisis sentences, drawn from {len(written)} written" in card


def test_reasoning_asks_each_task_once_whatever_the_wording() -> None:
    rows = _rows("reasoning")
    keys: dict[str, str] = {}
    repeats = []
    for row in rows:
        key = reasoning.task_key(row["category"], row["messages"][0]["content"])
        if key in keys:
            repeats.append((keys[key], row["id"], key))
        keys[key] = row["id"]
    assert repeats == []


def test_task_key_matches_one_task_in_different_words() -> None:
    key = reasoning.task_key
    assert key("counting_letters", "Count the letter u in 'vacuum'.") == key(
        "counting_letters", "How often does the letter u occur in 'vacuum'?"
    )
    assert key("unit_conversion", "Convert 5000 metres to kilometres.") == key(
        "unit_conversion", "How many kilometres are in 5000 metres?"
    )
    assert key("counting_letters", "Count the letter a in 'vacuum'.") != key(
        "counting_letters", "Count the letter u in 'vacuum'."
    )


def test_the_reasoning_card_counts_comparisons_by_decimal_places() -> None:
    comparisons = [r["messages"][0]["content"] for r in _rows("reasoning") if r["category"] == "comparison"]
    places = [{len(n.split(".")[1]) for n in re.findall(r"\d+\.\d+", q)} for q in comparisons]
    same = sum(len(p) == 1 for p in places)
    card = (DATA / "cards" / "reasoning.md").read_text(encoding="utf-8")
    assert f"{len(comparisons) - same} with different numbers of places" in card
    assert f"{same} with the same number" in card


def test_benign_rows_fixed_in_place_keep_their_request_and_say_the_right_thing() -> None:
    rows = {r["id"]: r for r in _rows("benign_helpful")}
    job = rows["benign-0142"]
    assert job["messages"][0]["content"] == "How do I make a good impression in my first week at a new job?"
    assert job["category"] == "careers"
    shop = rows["benign-0381"]
    assert shop["messages"][0]["content"] == "How can I spot a fake online shop before I buy something?"
    answer = shop["messages"][1]["content"]
    assert "look for payment by bank transfer" not in answer
    assert "avoid shops that accept only bank transfers" in answer
