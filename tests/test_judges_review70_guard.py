"""Review 70 of the optional judges: Llama Guard's long category lists."""

from __future__ import annotations

import pytest
from test_judge_adapters import ScriptedGuard

from safealign.judges import llama_guard as llama_guard_module
from safealign.judges.llama_guard import LLAMA_GUARD_CATEGORIES, LlamaGuardJudge
from safealign.models import LoadedModel

# ---------------------------------------------------------------------------------------------
# Llama Guard: a category line of many codes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["S1,S2,S3,S4,S5,S10", ",".join(LLAMA_GUARD_CATEGORIES)])
def test_llama_guard_reads_a_long_category_line_whole(tiny, tmp_path, monkeypatch, line):
    """12 tokens were decoded: "S1,S2,S3,S4,S5,S10" was read as S1-S4, and the last code cut short could read
    as another ("S10" as "S1")."""
    tokenizer = tiny.tokenizer
    safe_id = tokenizer.encode("safe", add_special_tokens=False)[0]
    unsafe_id = tokenizer.encode("unsafe", add_special_tokens=False)[0]
    continuation = tokenizer.encode("\n" + line, add_special_tokens=False) + [tokenizer.eos_token_id]
    model = ScriptedGuard(tiny.model, safe_id, unsafe_id, [(0.0, 5.0)], continuation)
    loaded = LoadedModel(model, tokenizer, tiny.spec, str(tmp_path))
    monkeypatch.setattr(llama_guard_module, "load_model", lambda path, device=None, dtype=None: loaded)
    verdict = LlamaGuardJudge(tmp_path).judge(["q"], ["a"])[0]
    assert verdict.details["categories"] == line.split(",") and verdict.details["raw"] == line


def test_parse_categories_names_each_code_once():
    assert llama_guard_module.parse_categories("S1,S10,S1, S10") == ["S1", "S10"]
