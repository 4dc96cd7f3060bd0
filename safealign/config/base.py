"""Typed config classes: every field has its help text in one place; unknown fields are errors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from safealign.errors import RecipeError, did_you_mean


class Section(BaseModel):
    """A recipe section: strict about unknown keys and types, assignment re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


def _allowed_fields(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    """Walk ``loc`` down the config classes to list the fields allowed where an error happened."""
    current: Any = model_cls
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        current = next(
            (a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type) and issubclass(a, BaseModel)),
            annotation,
        )
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def format_validation_error(error: ValidationError, model_cls: type[BaseModel], source: str) -> RecipeError:
    """One line per problem: the field path, the value given, and what is allowed."""
    lines = [f"{source}: {error.error_count()} problem(s)"]
    for item in error.errors():
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            allowed = _allowed_fields(model_cls, loc)
            lines.append(f"  {path}: unknown field{did_you_mean(str(loc[-1]), allowed)}; allowed here: {', '.join(allowed)}")
        else:
            shown = repr(value) if not isinstance(value, dict) else "{...}"
            message = item["msg"].removeprefix("Value error, ")  # pydantic's prefix for our own validators' messages
            lines.append(f"  {path} = {shown}: {message}")
    return RecipeError("\n".join(lines))
