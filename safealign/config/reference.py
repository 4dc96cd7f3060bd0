"""The recipe reference (docs/recipe.md), written from the schema so that it cannot drift from the code.

Every field's name, type, default, bounds and description come from the pydantic models in
:mod:`safealign.config.sections`; nested sections (``rl.gates``, ``sft.lora``) get their own table.
``python -m safealign.config.reference > docs/recipe.md`` rewrites the file; a test fails when the
committed file differs from what the schema gives.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from safealign.config.recipe import Recipe

HEADER = """# Recipe reference

Every field a recipe YAML accepts, section by section, with its type, default, bounds and meaning. A stage
section left out of the recipe, or set to null (`rl: ~`, `rl: null`), skips that stage (except `sample`, which a
`distill` section runs with its defaults to get its traces). A section key with nothing after it (`rl:` over
commented-out settings, or `hacking:` under it) is that section with its defaults, as `rl: {}` is; any other key left
empty is null. `safealign validate RECIPE.yaml` checks a recipe
without loading a model, and unknown or misspelt keys are errors, as are a key written twice in one mapping and an
unquoted number that YAML 1.1 reads as another one (`010` is octal 8, `1:30` is 90 in base 60): write `10`, or
quote text (`'1:30'`). `recipes/quickstart.yaml` is a
worked example.

This file is generated from the schema (`python -m safealign.config.reference > docs/recipe.md`);
`tests/test_config.py` fails when it is out of date.
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin in (list, dict, tuple):
        inner = ", ".join(_type_name(a) for a in args)
        return f"{origin.__name__}[{inner}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(section defaults)"
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    return f"`{json.dumps(value, ensure_ascii=False)}`"


# pydantic keeps Field(ge=0, lt=1, min_length=1) in the field's metadata as annotated_types' Ge(ge=0), Lt(lt=1),
# MinLen(min_length=1): read by attribute name, in the order the field declares them.
_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "length >="))


def _bounds(field: Any) -> str:
    """The bounds a field's value is checked against (``>= 0, < 1``), or "" for none."""
    return ", ".join(
        f"{symbol} {getattr(constraint, attribute)}"
        for constraint in field.metadata
        for attribute, symbol in _BOUNDS
        if getattr(constraint, attribute, None) is not None
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _sections(model: type[BaseModel], path: str) -> list[tuple[str, type[BaseModel]]]:
    """``model`` and every section nested in it, depth first, each with its dotted path."""
    found = [(path, model)]
    for name, field in model.model_fields.items():
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found += _sections(arg, f"{path}.{name}" if path else name)
    return found


def recipe_reference() -> str:
    """The Markdown reference of every recipe section and field."""
    parts = [HEADER]
    for path, model in _sections(Recipe, ""):
        title = f"`{path}:`" if path else "Top level"
        doc = (model.__doc__ or "").strip().split("\n\n")[0]
        parts.append(f"## {title}\n")
        if path and doc:
            parts.append(_cell(doc) + "\n")
        parts.append("| field | type | default | bounds | meaning |\n|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            parts.append(
                f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {_bounds(field)} "
                f"| {_cell(field.description or '')} |"
            )
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    print(recipe_reference(), end="")
