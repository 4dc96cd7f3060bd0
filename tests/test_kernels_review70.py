"""Review 70 of the training kernels: the packed paths equal the plain forward for every model they accept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from safealign.training.packed_attention import PACKED_SDPA, register_packed_attention, use_packed_attention

SHAPE = dict(
    vocab_size=300,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=8,
    layer_types=["full_attention"] * 2,  # no window: nothing else keeps them off the packed attention
)


def scored_beyond_sdpa(name: str, monkeypatch):
    """A tiny Gemma 2 (attention logit soft-capping) or GPT-OSS (attention sinks) that declares SDPA support, as a
    remote-code model may: transformers' own classes refuse ``sdpa`` and any implementation named so."""
    from transformers import Gemma2Config, GptOssConfig
    from transformers.models.gemma2 import modeling_gemma2
    from transformers.models.gpt_oss import modeling_gpt_oss

    if name == "gemma2":
        base, model = modeling_gemma2.Gemma2PreTrainedModel, modeling_gemma2.Gemma2ForCausalLM
        config = Gemma2Config(**SHAPE, attn_logit_softcapping=0.01)
    else:
        base, model = modeling_gpt_oss.GptOssPreTrainedModel, modeling_gpt_oss.GptOssForCausalLM
        config = GptOssConfig(**SHAPE, num_local_experts=2, num_experts_per_tok=1)
    monkeypatch.setattr(base, "_supports_sdpa", True)
    torch.manual_seed(0)
    return model._from_config(config, attn_implementation="sdpa").eval()


@pytest.mark.parametrize("name", ["gemma2", "gptoss"])
def test_softcapped_or_sink_attention_is_not_packed(name, monkeypatch):
    """Per-sequence SDPA dropped Gemma 2's soft-cap and GPT-OSS's sinks: a packed row's logits were not the model's."""
    model = scored_beyond_sdpa(name, monkeypatch)
    torch.manual_seed(1)
    sequences = [torch.randint(5, 300, (n,)) for n in (7, 3, 6)]
    ids = torch.cat(sequences)[None]
    positions = torch.cat([torch.arange(n) for n in (7, 3, 6)])[None]

    assert use_packed_attention(model) is None and model.config._attn_implementation == "sdpa"
    # set by hand, the packed attention refuses rather than drop what it cannot compute
    register_packed_attention()
    model.set_attn_implementation(PACKED_SDPA)
    with torch.no_grad(), pytest.raises(ValueError, match="soft-capping or attention sinks"):
        model(input_ids=ids, position_ids=positions, use_cache=False)


BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def eval_folder(folder: Path, split: str, suites: dict[str, list[bool]]) -> str:
    """A `safealign eval --out` folder of harmful suites: suite -> whether each item was refused."""
    folder.mkdir(parents=True)
    metrics = {
        name: {
            "kind": "harmful",
            "metrics": {key: {"refusal_rate": {"value": sum(r) / len(r)}} for key in (split, "all")},
        }
        for name, r in suites.items()
    }
    (folder / "summary.json").write_text(json.dumps({"suites": metrics}))
    rows = [
        {
            "suite": name,
            "id": f"{name}-{i}",
            "split": split,
            "prompt": f"prompt {i}",
            "completion": "answer",
            "verdicts": {"refusal": {"label": "refusal" if was else "compliance"}},
        }
        for name, refused in suites.items()
        for i, was in enumerate(refused)
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(folder)


@pytest.fixture()
def dev_split_validity(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in ("_common", "dev_split_validity"):
        sys.modules.pop(name, None)
    import _common
    import dev_split_validity

    monkeypatch.setattr(_common, "RESULTS", tmp_path / "results")
    return dev_split_validity


def run_validity(module, monkeypatch, *args: str) -> dict:
    import _common

    monkeypatch.setattr(sys, "argv", ["dev_split_validity.py", *args])
    module.main()
    return json.loads((_common.RESULTS / "dev_split_validity.json").read_text())


def test_dev_folders_pair_by_suite_however_many_each_model_has(dev_split_validity, monkeypatch, tmp_path):
    """The dev folders of a pair were zipped in order: a model with its two dev suites in one folder against one with
    them in two crashed (zip strict), and folders given in another order were paired with the wrong suite."""
    a_dev = eval_folder(
        tmp_path / "a/dev", "dev", {"harmful_dev": [True, False, True], "harmful_dev_unseen": [True, True]}
    )
    a_held = eval_folder(tmp_path / "a/held", "held_out", {"harmful": [True, False, True, False]})
    b_unseen = eval_folder(tmp_path / "b/unseen", "dev", {"harmful_dev_unseen": [True, False]})
    b_dev = eval_folder(tmp_path / "b/dev", "dev", {"harmful_dev": [False, False, True]})
    b_held = eval_folder(tmp_path / "b/held", "held_out", {"harmful": [True, False, False, False]})

    result = run_validity(
        dev_split_validity, monkeypatch,
        "--model", f"a={a_dev}:{a_held}", "--model", f"b={b_unseen},{b_dev}:{b_held}", "--pair", "a:b",
    )  # fmt: skip

    flips = result["pairs"]["a:b"]
    assert {suite: (f["before"], f["after"], f["items"]) for suite, f in flips.items()} == {
        "harmful_dev (dev)": (2, 1, 3),
        "harmful_dev_unseen (dev)": (2, 1, 2),
        "harmful (held_out)": (2, 1, 4),
    }
    assert result["rates"]["b"]["harmful_dev"] == pytest.approx(1 / 3)
    assert all(f["unpaired"] == {"reference": 0, "variant": 0} for f in flips.values())


def test_items_only_one_model_was_scored_on_are_counted(dev_split_validity, monkeypatch, tmp_path, capsys):
    """Folders with unequal numbers of items were paired on the shared ones without a word: 3 of 4 held-out items
    read as the whole suite."""
    dev = [eval_folder(tmp_path / f"{m}/dev", "dev", {"harmful_dev": [True, False]}) for m in "ab"]
    a_held = eval_folder(tmp_path / "a/held", "held_out", {"harmful": [True, False, True, False]})
    b_held = eval_folder(tmp_path / "b/held", "held_out", {"harmful": [True, True, True]})

    result = run_validity(
        dev_split_validity, monkeypatch,
        "--model", f"a={dev[0]}:{a_held}", "--model", f"b={dev[1]}:{b_held}", "--pair", "a:b",
    )  # fmt: skip

    held_out = result["pairs"]["a:b"]["harmful (held_out)"]
    assert held_out["items"] == 3 and held_out["unpaired"] == {"reference": 1, "variant": 0}
    assert "2 -> 3 of 3 (1 only in the reference)" in capsys.readouterr().out


def test_models_scored_on_different_dev_suites_are_refused_by_name(dev_split_validity, monkeypatch, tmp_path):
    """A model without one of the others' dev suites gave NaN rates and correlations (NaN in the JSON) and a pooled
    dev rate over other suites; now the script names the missing suite and the fix."""
    a_dev = eval_folder(
        tmp_path / "a/dev", "dev", {"harmful_dev": [True, False], "harmful_dev_unseen": [True, True]}
    )
    b_dev = eval_folder(tmp_path / "b/dev", "dev", {"harmful_dev": [True, True]})
    held = [eval_folder(tmp_path / f"{m}/held", "held_out", {"harmful": [True, False]}) for m in "ab"]
    with pytest.raises(SystemExit, match="different dev suites \\(b has no harmful_dev_unseen\\)"):
        run_validity(
            dev_split_validity,
            monkeypatch,
            "--model",
            f"a={a_dev}:{held[0]}",
            "--model",
            f"b={b_dev}:{held[1]}",
        )
    # one suite given twice for a model: which rate would count?
    with pytest.raises(SystemExit, match="harmful_dev suite is scored in both"):
        run_validity(dev_split_validity, monkeypatch, "--model", f"b={b_dev},{b_dev}:{held[1]}")
