from __future__ import annotations

import torch
from trl.trainer import utils as trl_utils

from safealign.models import load_model
from safealign.training.compact_lm_head import compact_lm_head


def fused_step(model, ids: torch.Tensor, labels: torch.Tensor, rows_seen: list[int]) -> tuple[torch.Tensor, ...]:
    """One fused-head forward + backward; records how many positions went through the projection."""
    original = trl_utils._ChunkedLogProbFunction.apply

    def spy(hidden, *args):
        rows_seen.append(hidden.shape[0])
        return original(hidden, *args)

    trl_utils._ChunkedLogProbFunction.apply = spy
    try:
        model.zero_grad()
        out = model(input_ids=ids, labels=labels, fused_lm_head=True)
        loss = -out.log_probs.sum() / (labels[:, 1:] != -100).sum()
        loss.backward()
    finally:
        trl_utils._ChunkedLogProbFunction.apply = original
    grad = model.model.layers[0].mlp.down_proj.weight.grad.clone()
    return out.log_probs.detach(), out.entropy.detach(), out.is_top1, loss.detach(), grad


def test_compact_head_equals_the_full_path_on_fewer_positions():
    model = load_model("tiny:2").model.train()
    trl_utils.add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    torch.manual_seed(0)
    ids = torch.randint(5, model.config.vocab_size, (2, 12))
    labels = ids.clone()
    labels[:, :7] = -100  # the prompt
    labels[1, 10:] = -100  # padding

    full_rows: list[int] = []
    full = fused_step(model, ids, labels, full_rows)
    compact_rows: list[int] = []
    with compact_lm_head() as switched:
        compact = fused_step(model, ids, labels, compact_rows)
    assert switched
    assert full_rows == [2 * 11]  # every shifted position is projected by default on the CPU
    assert compact_rows == [int((labels[:, 1:] != -100).sum())] == [8]  # 5 + 3 completion tokens
    for a, b in zip(full[:2], compact[:2], strict=True):
        assert torch.allclose(a, b, atol=1e-6)
        assert (b[labels[:, 1:] == -100] == 0).all()
    assert torch.equal(full[2], compact[2])
    assert torch.allclose(full[3], compact[3], atol=1e-6)
    assert torch.allclose(full[4], compact[4], atol=1e-6)
    assert full[4].abs().sum() > 0


def test_the_switch_is_restored_and_other_devices_keep_trl_default():
    original = trl_utils._use_triton
    with compact_lm_head():
        assert trl_utils._use_triton(torch.device("cpu"))
        assert trl_utils._use_triton(torch.device("meta")) == original(torch.device("meta"))
    assert trl_utils._use_triton is original
    try:
        with compact_lm_head():
            raise RuntimeError("training failed")
    except RuntimeError:
        pass
    assert trl_utils._use_triton is original


def test_a_trl_without_the_switch_runs_its_default(monkeypatch):
    monkeypatch.delattr(trl_utils, "_use_triton")
    with compact_lm_head() as switched:
        assert not switched
    assert not hasattr(trl_utils, "_use_triton")
