"""The training corpus: shipped datasets by name, row validation, mixtures and decontamination."""

from safealign.corpus.decontaminate import ContaminationReport, decontamination_check
from safealign.corpus.mixture import Mixture, build_mixture
from safealign.corpus.registry import TRAIN_DATASETS, dataset_path, read_rows, read_rows_and_problems
from safealign.corpus.validate import validate_rows

__all__ = [
    "TRAIN_DATASETS",
    "ContaminationReport",
    "Mixture",
    "build_mixture",
    "dataset_path",
    "decontamination_check",
    "read_rows",
    "read_rows_and_problems",
    "validate_rows",
]
