"""Review 63 of safealign/models: regressions for the defects it found."""

from __future__ import annotations

import pytest

from safealign.errors import ModelNotFoundError
from safealign.models.specs import check_spec_text


@pytest.mark.parametrize("spec", ["prune", "prune 0.5", "prune=0.5", "prune0.5", "PRUNE:0.5", "Prune-0.5"])
def test_a_student_spec_that_means_prune_but_has_no_fraction_is_refused_when_the_recipe_loads(spec):
    """``student: prune`` (or ``PRUNE:0.5``) passed the recipe's checks and failed only when the distill stage began,
    after SFT, RL and sampling, with "no such file or folder" naming every spec kind but prune:<fraction>."""
    with pytest.raises(ModelNotFoundError, match=r"prune:<fraction"):
        check_spec_text(spec, allow_prune=True)


def test_a_folder_named_like_a_prune_spec_is_still_a_path(tmp_path, monkeypatch):
    (tmp_path / "prune").mkdir()
    monkeypatch.chdir(tmp_path)
    assert check_spec_text("prune", allow_prune=True) == "prune"
    # a path: checked when the stage loads it
    assert check_spec_text("pruned-student", allow_prune=True) == "pruned-student"
    assert check_spec_text("prune:0.5", allow_prune=True) == "prune:0.5"


def test_a_scheme_in_capitals_is_named_not_read_as_a_path():
    with pytest.raises(ModelNotFoundError, match="did you mean 'tiny:'"):
        check_spec_text("TINY:3")
