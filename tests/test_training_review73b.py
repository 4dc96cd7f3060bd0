"""Review 73b, area P (training callbacks and gates): what the console shows."""

from __future__ import annotations

from types import SimpleNamespace


def test_the_gate_baseline_is_shown_before_the_progress_bar_starts(capsys) -> None:
    """The gates measure the starting policy in on_train_begin, before the progress callback's own (the bar's) has run:
    its record reached metrics.jsonl and not the console, so the numbers every breach is measured from went unshown."""
    from safealign.training.callbacks import ConciseProgressCallback

    progress = ConciseProgressCallback()
    state = SimpleNamespace(is_world_process_zero=True, global_step=0, max_steps=40)
    progress.on_log(None, state, None, logs={"gate/refusal": 0.9, "gate/passed": 1.0})
    assert "step 0/40: gate refusal 0.9 · gate passed 1" in capsys.readouterr().out
    progress.on_log(None, SimpleNamespace(**{**vars(state), "is_world_process_zero": False}), None, logs={"loss": 1.0})
    assert capsys.readouterr().out == "", "one rank prints"
