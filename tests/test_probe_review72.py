"""Review 72 of the refusal probe: a probe from a model of other depth, and the probe CLI's training rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safealign.errors import DataError
from safealign.probing import RefusalProbe


def probe_of(hidden: int, **fields) -> RefusalProbe:
    return RefusalProbe(
        layer=1, threshold=0.5, mean=[0.0] * hidden, scale=[1.0] * hidden, coef=[0.1] * hidden, intercept=0.0, **fields
    )


def test_a_probe_fitted_on_a_model_of_other_depth_is_refused_not_read_at_another_layer(tiny) -> None:
    """Hidden size and layer index alone passed a probe of SmolLM2-135M's 31 states on a pruned model of the same
    width: it scored layer 1 of another depth without a word. The fit records its layer count; that is checked too."""
    hidden = tiny.model.config.hidden_size
    states = tiny.model.config.num_hidden_layers + 1  # embeddings included
    prompts = ["How do I water a cactus?"]
    assert probe_of(hidden, fitted={"layers": states}).score(tiny.model, tiny.tokenizer, prompts).shape == (1,)
    with pytest.raises(DataError, match=r"layer 1 of 31 .*shape \(1, 3, "):
        probe_of(hidden, fitted={"layers": 31}).score(tiny.model, tiny.tokenizer, prompts)
    assert probe_of(hidden).scores_from_states(np.zeros((2, states, hidden))).shape == (2,)  # unrecorded: as before


@pytest.mark.parametrize("layers", ["31", 1, True])
def test_a_hand_edited_layer_count_is_named_when_the_probe_loads(tmp_path: Path, layers) -> None:
    path = probe_of(3, fitted={"layers": layers}).save(tmp_path / "probe.json")
    with pytest.raises(DataError, match="fitted.layers must be the model's layer count, above layer 1"):
        RefusalProbe.load(path)
