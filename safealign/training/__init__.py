"""Pieces the training stages share: callbacks, LoRA settings, precision, saving."""
