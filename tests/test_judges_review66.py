"""Review 66 of the judge plumbing: the card's judge-quality cache key, judge specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.card.judge_quality import judges_fingerprint
from safealign.judges import JudgeSpecError, parse_judge_spec


@pytest.mark.parametrize(
    "module",
    [
        "safealign/tasks/language.py",  # the harm judge's multilingual floor reads detect_language
        "safealign/tasks/reasoning_format.py",  # the refusal judge reads the answer after a think block
        "safealign/hacking/signals.py",  # the refusal judge's repetition rule
    ],
)
def test_the_shared_judge_quality_cache_follows_the_code_the_judges_import(monkeypatch, module: str) -> None:
    """The key hashed safealign/judges/*.py only: a change to the code they import changed verdicts, and a new run's
    card showed the figures measured before it."""
    before = judges_fingerprint("default", "sha")
    target = (Path(__file__).parents[1] / module).resolve()
    read_bytes = Path.read_bytes

    def edited(path: Path) -> bytes:
        return read_bytes(path) + (b"\n# edited\n" if path.resolve() == target else b"")

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert judges_fingerprint("default", "sha") != before


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        (  # a Vertex-style model name behind a proxy given without a path (documented: /v1/chat/completions)
            "openai:http://localhost:4000#claude-3-5-sonnet-v2@20241022",
            ("openai", "http://localhost:4000", "claude-3-5-sonnet-v2@20241022"),
        ),
        ("openai:http://127.0.0.1:8000#grader@v2", ("openai", "http://127.0.0.1:8000", "grader@v2")),
        (
            "openai:https://u:pw@h.example.com#grader@v2",
            ("openai", "https://u:pw@h.example.com", "grader@v2"),
        ),
    ],
)
def test_a_model_name_with_an_at_sign_after_a_url_without_a_path_is_not_read_as_a_password(
    spec: str, parsed: tuple[str, str, str]
) -> None:
    """It was refused with "the URL's password holds '#'" (there is none), the host shown masked as a password."""
    assert parse_judge_spec(spec) == parsed


@pytest.mark.parametrize(
    "spec",
    [
        "openai:https://u:p#w@grader/v1",
        "openai:https://u:p#w@grader:8000",
        "openai:https://u:p#w@[::1]/v1",
        "openai:https://u:p#w@grader",  # no path, no port: the URL up to '#' does not parse
    ],
)
def test_a_password_with_a_hash_before_a_host_is_still_refused_and_masked(spec: str) -> None:
    with pytest.raises(JudgeSpecError, match="percent-encode") as error:
        parse_judge_spec(spec)
    assert "p#w" not in str(error.value) and "'p'" not in str(error.value)


def _guard_folder(root: Path, note: str) -> Path:
    (root / "guard").mkdir(parents=True)
    (root / "guard" / "config.json").write_text(json.dumps({"model_type": "llama", "note": note}))
    return root / "guard"


def test_the_shared_judge_quality_cache_tells_llama_guard_folders_apart(tmp_path, monkeypatch) -> None:
    """`llama-guard:guard` in two projects (a 1B in one, an 8B in the other), or a guard replaced in place, had one key:
    a card showed the other model's precision and recall."""
    keys = []
    for project, note in (("a", "1B"), ("b", "8B")):
        _guard_folder(tmp_path / project, note)
        monkeypatch.chdir(tmp_path / project)
        keys.append(judges_fingerprint("llama-guard:guard", "sha"))
    assert keys[0] != keys[1]
    config = tmp_path / "b" / "guard" / "config.json"
    config.write_text(config.read_text() + " ")  # the 8B's folder now holds another model
    assert judges_fingerprint("llama-guard:guard", "sha") != keys[1]
    assert judges_fingerprint("llama-guard:guard", "sha") == judges_fingerprint("llama-guard:guard", "sha")
    # a missing folder fails when measured, not here
    assert judges_fingerprint("llama-guard:/no/such/folder", "sha")


def test_the_embedding_cache_keeps_each_row_apart_from_its_batch(monkeypatch):
    """A cached vector that was a view into its batch's array kept the whole batch in memory while it lived."""
    import numpy as np

    from safealign.judges import embeddings

    class Encoder:
        def encode(self, texts, **_):
            return np.ones((len(texts), embeddings.EMBEDDING_DIM), dtype=np.float32)

    monkeypatch.setattr(embeddings, "load_embedder", lambda: Encoder())
    monkeypatch.setattr(embeddings, "_cache", type(embeddings._cache)())
    out = embeddings.embed([f"review66 text {i}" for i in range(50)])
    assert out.shape == (50, embeddings.EMBEDDING_DIM)
    assert all(vector.base is None for vector in embeddings._cache.values())
