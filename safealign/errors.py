"""Errors safealign raises for bad input: each message names the problem and the fix."""


class SafealignError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class ModelNotFoundError(SafealignError):
    """A model spec that resolves to nothing loadable."""


class DataError(SafealignError):
    """A malformed dataset row or file (the message names file, line and field)."""


class RecipeError(SafealignError):
    """A recipe that fails validation (the message names the field, the value and what is allowed)."""
