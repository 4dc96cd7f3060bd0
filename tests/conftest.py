"""Shared fixtures: a private SAFEALIGN_HOME and a tiny model with the real tokenizer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# pytest-xdist's workers (`make test` runs two) start with COLUMNS=80 in their environment where the main process has
# none. The CLI's consoles read it as the user's terminal width (cli.common.make_console), so the tables a test reads
# wrapped at 80 columns, not a log's 120, and a long tmp_path split the words the test looks for. A worker gets the
# main process's COLUMNS, or none.
if os.environ.get("PYTEST_XDIST_WORKER"):
    if os.environ.get("SAFEALIGN_TEST_COLUMNS"):
        os.environ["COLUMNS"] = os.environ["SAFEALIGN_TEST_COLUMNS"]
    else:
        os.environ.pop("COLUMNS", None)
else:
    os.environ["SAFEALIGN_TEST_COLUMNS"] = os.environ.get("COLUMNS", "")


@pytest.fixture(scope="session", autouse=True)
def safealign_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never touch the user's cache; the tokenizer is copied in when the user has it already."""
    home = tmp_path_factory.mktemp("safealign-home")
    user_cache = Path.home() / ".cache" / "safealign" / "models"
    for name in ("smollm2-tokenizer", "smollm2-135m-instruct"):
        source = user_cache / name
        if (source / "tokenizer.json").is_file():
            target = home / "models" / "smollm2-tokenizer"
            target.mkdir(parents=True, exist_ok=True)
            for file in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
                if (source / file).is_file():
                    shutil.copy(source / file, target / file)
            break
    os.environ["SAFEALIGN_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def tiny():
    """A LoadedModel: tiny random Llama with the SmolLM2 tokenizer (built once per session)."""
    from safealign.models import load_model

    return load_model("tiny")


@pytest.fixture()
def fresh_tiny():
    """A tiny model a test may train or modify."""
    from safealign.models import load_model

    return load_model("tiny:1")


@pytest.fixture()
def no_template_model(tiny, tmp_path: Path) -> Path:
    """A folder of the tiny model whose tokenizer has no chat template, as a base model's has none."""
    folder = tmp_path / "no_template"
    tiny.model.save_pretrained(folder)
    template = tiny.tokenizer.chat_template
    try:
        tiny.tokenizer.chat_template = None
        tiny.tokenizer.save_pretrained(folder)
    finally:
        tiny.tokenizer.chat_template = template
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    return folder


@pytest.fixture()
def card(monkeypatch):
    """Write a run folder's bundle and return its README.md; the judges are not measured (tens of seconds, and not
    what the card tests check)."""
    import safealign.card as bundle
    from safealign.card import model_card

    def unmeasured(run, refresh=False):
        return {"measured": False, "error": "not measured in this test"}

    monkeypatch.setattr(bundle, "judge_quality", unmeasured)
    monkeypatch.setattr(model_card, "judge_quality", unmeasured)

    def write(run_dir: Path) -> str:
        bundle.write_bundle(run_dir)
        return (run_dir / "README.md").read_text()

    return write
