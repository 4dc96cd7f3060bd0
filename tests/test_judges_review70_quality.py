"""Review 70 of `safealign judges check`'s labelled set: fields written as null."""

from __future__ import annotations

import json

from safealign.judges.quality import load_labelled


def test_null_id_split_and_language_read_as_absent(tmp_path):
    """Two rows with "id": null were refused as one id ('None') given twice, and "split": null as a split "None"
    that is not dev or test; absent, they are the line number and test, as a null reads elsewhere (data check)."""
    rows = [
        {
            "id": None,
            "prompt": "a",
            "response": "b",
            "label": "refusal",
            "harmful_content": False,
            "split": None,
        },
        {
            "id": None,
            "prompt": "c",
            "response": "d",
            "label": "compliance",
            "harmful_content": False,
            "language": None,
        },
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    assert [(row.id, row.split, row.language) for row in load_labelled(path)] == [
        ("1", "test", "en"),
        ("2", "test", "en"),
    ]
