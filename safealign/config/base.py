"""Typed config classes: every field has its help text in one place; unknown fields are errors."""

from __future__ import annotations

import datetime
import re
import types
from collections.abc import Iterator
from typing import Any, Union, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from safealign.errors import RecipeError, did_you_mean

# Python's spellings of no value, which YAML reads as text (its own null is null, Null, NULL or ~)
PYTHON_NONE = ("None", "none", "NONE")

# PyYAML reads YAML 1.1, where a leading 0 makes a number octal (010 is 8) and colons make it base 60 (1:30 is 90, a
# time); YAML 1.2 reads neither. These are PyYAML's own patterns (yaml.resolver's int and float).
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_BASE_60 = re.compile(r"[-+]?(?:[1-9][0-9_]*(?::[0-5]?[0-9])+|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)")


def yaml11_number_problem(text: str) -> str | None:
    """Why an unquoted YAML scalar ``text`` is read as another number than it shows, with the fix; None when it
    is not. `seed: 010` ran with seed 8 and `arithmetic: 1:3` weighed 63, without a word.

    >>> yaml11_number_problem("010")
    "YAML 1.1 reads 010 (a leading 0) as the octal number 8, not 10: write 10, or '010' in quotes for text"
    >>> yaml11_number_problem("07"), yaml11_number_problem("10"), yaml11_number_problem("0:30")  # read as shown
    (None, None, None)
    """
    if _OCTAL.fullmatch(text):
        digits = text.replace("_", "")
        octal, decimal = int(digits, 8), int(digits, 10)
        if octal != decimal:  # 00 to 07 read the same either way
            return (
                f"YAML 1.1 reads {text} (a leading 0) as the octal number {octal}, not {decimal}: write {decimal}, "
                f"or '{text}' in quotes for text"
            )
    if _BASE_60.fullmatch(text):
        sign = -1 if text.startswith("-") else 1
        value: float = 0
        for part in text.lstrip("+-").replace("_", "").split(":"):
            value = value * 60 + float(part)
        shown = f"{sign * value:g}" if "." in text else str(sign * int(value))
        return (
            f"YAML 1.1 reads {text} as the base-60 number {shown} (a time in minutes:seconds): write the number you "
            f"mean, or '{text}' in quotes for text (a ratio or a time)"
        )
    return None


class Section(BaseModel):
    """A recipe section: strict about unknown keys and types, assignment re-validated."""

    # allow_inf_nan=False: an "epochs: .inf" or "learning_rate: .inf" passed validation and crashed the stage (OverflowError)
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, protected_namespaces=(), allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _none_is_not_yaml_null(cls, value: Any, info: ValidationInfo) -> Any:
        # YAML's null is null, ~ or nothing at all; Python's None is the text "None" to it. `system_prompt: None` put
        # the text "None" before every prompt of every stage, and `api_key: None` made "None" the monitor's key.
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, str) and value.strip() in PYTHON_NONE and type(None) in get_args(annotation):
            raise ValueError(
                f"YAML reads {value.strip()} as the text {value.strip()!r}, not as no value: write null (or ~) for "
                "no value"
            )
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads True as 1 and False as 0 in an int or float field, so a YAML yes/no/on/off/true/false there
        # passed as a number: `learning_rate: true` trained at 1.0, `reasoning: yes` in a mixture read as 1.0, and
        # `safety: off` as a reward weight of 0. No field takes a boolean or a number (checked by a test).
        annotation = cls.model_fields[info.field_name].annotation
        default = cls.model_fields[info.field_name].default
        if isinstance(value, bool) and _takes_numbers(annotation):
            example = f", e.g. {default!r} (the default)" if _takes_numbers(type(default)) else ""
            raise ValueError(f"{YAML_BOOLEAN}: give a number{example}")
        if (
            isinstance(value, dict)
            and get_origin(annotation) is dict
            and _takes_numbers(get_args(annotation)[1])
        ):
            flags = [key for key, weight in value.items() if isinstance(weight, bool)]
            if flags:
                shown = ", ".join(f"{key}: {str(value[key]).lower()}" for key in flags)
                raise ValueError(f"{shown}: {YAML_BOOLEAN}: give each a number (e.g. {flags[0]}: 1.0)")
        return value


# what a boolean in a number field most likely is: a recipe's unquoted word
YAML_BOOLEAN = (
    "a boolean where a number belongs (YAML reads an unquoted yes, no, on, off, true or false, or Yes, NO, ..., as a "
    "boolean)"
)


def _takes_numbers(annotation: Any) -> bool:
    """Whether a field of this type takes an int or a float (``int``, ``float | None``) and not a boolean."""
    kinds = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return bool not in kinds and any(kind in (int, float) for kind in kinds)


def _allowed_fields(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    """Walk ``loc`` down the config classes to list the fields allowed where an error happened."""
    return list(_fields_at(model_cls, loc))


# What other tools' configs name a recipe they build on (Hydra's defaults, axolotl's and OmegaConf's base, ...)
_INCLUDES = frozenset(
    {
        "extends",
        "extend",
        "include",
        "includes",
        "import",
        "imports",
        "inherit",
        "inherits",
        "defaults",
        "base",
    }
)


# Other names of a recipe's stages (a method's name, a longer word), and methods it has no stage for
_STAGE_NAMES = {
    **dict.fromkeys(("grpo", "rlhf", "reinforcement_learning"), "rl"),
    **dict.fromkeys(("evaluation", "evaluate", "evals", "benchmark"), "eval"),
    **dict.fromkeys(("rejection_sampling", "sampling", "traces"), "sample"),
    **dict.fromkeys(("distillation", "kd", "knowledge_distillation"), "distill"),
    **dict.fromkeys(("fine_tuning", "finetune", "finetuning", "supervised", "supervised_fine_tuning"), "sft"),
}
_NO_STAGE = frozenset({"ppo", "dpo", "orpo", "kto", "simpo", "ipo", "rloo"})


def _recipe_top_hint(loc: tuple, allowed: list[str]) -> str:
    """The fix for a recipe's top-level key that would build on another recipe (``extends: base.yaml``), which
    recipes do not do, or that names a stage in other words (``grpo:``, ``evaluation:``) or a method no stage runs
    (``dpo:``); "" for other keys, and in other files (an alerts file, a hacking config)."""
    if len(loc) != 1 or "sft" not in allowed:
        return ""
    key = str(loc[0]).strip().casefold().replace("-", "_")
    if key in _STAGE_NAMES:
        return f" (did you mean {_STAGE_NAMES[key]!r}?)"
    if key in _NO_STAGE:
        return (
            f": there is no {key.upper()} stage; the stages are sft, rl (GRPO), sample (rejection sampling) and "
            "distill"
        )
    if key not in _INCLUDES:
        return ""
    return (
        ": a recipe is one file, with no extends or include: copy the recipe you build on and change it (inside one "
        "file, a YAML anchor and `<<: *name` reuse a section)"
    )


def _sections(model_cls: type[BaseModel], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, fields) of ``model_cls`` and of every config class inside it ("" is ``model_cls`` itself)."""
    yield path, dict(model_cls.model_fields)
    for name, field in model_cls.model_fields.items():
        if (inner := _config_class(field.annotation)) is not None:
            yield from _sections(inner, f"{path}.{name}" if path else name)


def _config_class(annotation: Any) -> type[BaseModel] | None:
    """The config class a field holds (``SFTConfig`` for ``SFTConfig | None``), or None."""
    kinds = getattr(annotation, "__args__", (annotation,))
    return next((kind for kind in kinds if isinstance(kind, type) and issubclass(kind, BaseModel)), None)


def _misplaced_hint(model_cls: type[BaseModel], loc: tuple, allowed: list[str]) -> str:
    """Where an unknown key belongs when it is a field of this section in another spelling (``SFT:``, ``max-steps:``)
    or of another section of ``model_cls``: ``hacking:`` indented under sft: was "did you mean 'packing'?", and
    ``learning_rate:`` at the top level named no section at all. "" for any other key."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    folded = loc[-1].strip().casefold().replace("-", "_")
    if folded in allowed:
        return f" (did you mean {folded!r}?)"
    here = ".".join(str(part) for part in loc[:-1] if not isinstance(part, int))
    homes = {path: fields[folded] for path, fields in _sections(model_cls) if folded in fields}
    if not homes:
        return ""
    # `learning_rate:` indented under sft.lora is sft's, not rl's or distill's
    if enclosing := [home for home in homes if home and here.startswith(f"{home}.")]:
        homes = {(nearest := max(enclosing, key=len)): homes[nearest]}
    what = "a section" if _config_class(next(iter(homes.values())).annotation) else "a field"
    named = [home or "the top level" for home in homes]
    owners = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    home = next(iter(homes))
    if len(homes) > 1:
        fix = "move it under the one it is for"
    elif not home:
        fix = "write it at the start of its line, with no indentation"
    elif here.startswith(f"{home}."):
        fix = f"indent it as {home}'s other fields are"
    else:
        fix = f"move it under {home}"
    return f": {folded} is {what} of {owners}, not {f'of {here}' if here else 'of the top level'}; {fix}"


def _fields_at(model_cls: type[BaseModel], loc: tuple) -> dict[str, Any]:
    """The fields (name -> pydantic FieldInfo) of the config class where an error at ``loc`` happened ({} in a
    mapping or list that is no config class)."""
    current: Any = model_cls
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return {}
        current = _config_class(field.annotation) or field.annotation
    if isinstance(current, type) and issubclass(current, BaseModel):
        return dict(current.model_fields)
    return {}


def format_validation_error(error: ValidationError, model_cls: type[BaseModel], source: str) -> RecipeError:
    """One line per problem: the field path, the value given, and what is allowed."""
    lines = [f"{source}: {error.error_count()} problem(s)"]
    for item in error.errors():
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            allowed = _allowed_fields(model_cls, loc)
            hint = (
                _trainer_setting_hint(loc, allowed)
                or _recipe_top_hint(loc, allowed)
                or _misplaced_hint(model_cls, loc, allowed)
                or did_you_mean(str(loc[-1]), allowed)
            )
            lines.append(f"  {path}: unknown field{hint}; allowed here: {', '.join(allowed)}")
        elif item["type"] == "model_type":  # `model: tiny`: one value where a section's mapping belongs
            fields = _allowed_fields(model_cls, (*loc, ""))
            example = (
                f"{{name: {value}}}" if "name" in fields and isinstance(value, str) else "{FIELD: VALUE, ...}"
            )
            written = f"{loc[-1]}: {example}" if loc else example  # no loc: the whole input is the section
            advice = f"write `{written}`"
            if value is None and loc:  # `hacking: ~`: only a key left empty (`hacking:`) means its defaults
                advice = f"write `{loc[-1]}: {{}}` (or `{loc[-1]}:` with nothing after it) for its defaults"
            # `sft: false`, `gates: off`, `rl: yes`: a stage or check turned off or on, which its enabled field says
            if isinstance(value, bool) and loc and "enabled" in fields:
                advice = (
                    f"write `{loc[-1]}: {{}}` (or `{loc[-1]}:` with nothing after it) to run it with its defaults"
                    if value
                    else f"write `{loc[-1]}: {{enabled: false}}` to turn it off"
                )
            lines.append(
                f"  {path} = {value!r:.60}: a section takes a mapping of its fields, not one value; {advice} "
                f"(fields: {', '.join(fields)})"
            )
        else:
            shown = repr(value) if not isinstance(value, dict) else "{...}"
            message = item["msg"].removeprefix(
                "Value error, "
            )  # pydantic's prefix for our own validators' messages
            if isinstance(value, str) and value not in message:
                # a URL its check quoted with the password starred (upstream, webhook) is shown starred here too
                shown = repr(without_userinfo(value))
            hint = (
                _yaml_shape_hint(item["type"], value)
                or _percent_hint(item)
                or _precision_value_hint(item)
                or _choice_hint(item, _fields_at(model_cls, loc))
                or _no_value_hint(item, _fields_at(model_cls, loc))
            )
            lines.append(f"  {path} = {shown}: {message}{hint}")
    return RecipeError("\n".join(lines))


def _yaml_shape_hint(kind: str, value: Any) -> str:
    """The YAML that writes what a field takes, where ``value`` is YAML's reading of a likely slip ("" for others):
    unquoted text it read as a boolean or number, a list where a mapping belongs, one text where a list does."""
    if kind == "string_type" and isinstance(value, bool):  # `refusal_message: No` showed "= False"
        return (
            f" (YAML reads an unquoted yes, no, on, off, true or false (or Yes, NO, ...) as a boolean: it read this "
            f"as {str(value).lower()}; put the text in quotes: 'no', not no)"
        )
    if kind == "int_parsing" and isinstance(value, str) and _whole_number(value) is not None:
        # `max_steps: 1e3`: YAML 1.1 reads an exponent without a dot and a sign (1e3) as text, and pydantic takes
        # no exponent in an int field (1.0e+3, which YAML reads as a float, passed)
        return f" (write the whole number out: {_whole_number(value)})"
    if kind == "string_type" and isinstance(value, int | float):
        return " (YAML read the unquoted value as a number: put it in quotes, as written)"
    if kind == "string_type" and isinstance(
        value, datetime.date
    ):  # `name: 2026-12-07` showed "= datetime.date(...)"
        return " (YAML read the unquoted value as a date: put it in quotes, as written)"
    if kind == "dict_type" and isinstance(value, list) and value:
        # `- reasoning: 0.5` lines: a list of one-key mappings; bare names: a list with no weights
        if all(isinstance(entry, dict) and len(entry) == 1 for entry in value):
            pairs = [f"{key}: {weight}" for entry in value for key, weight in entry.items()]
            return f" (a list of one-entry mappings: write one mapping, without the '- ', e.g. {{{', '.join(pairs)}}})"
        if all(isinstance(entry, str) for entry in value):
            return f" (a list of names: give each its number, e.g. {{{', '.join(f'{name}: 1.0' for name in value)}}})"
    if kind == "list_type" and isinstance(value, str):
        names = [name.strip() for name in value.split(",") if name.strip()]
        return f" (write a list, e.g. [{', '.join(names)}])"
    if kind == "dict_type" and isinstance(value, str) and value.strip():  # `datasets: reasoning`
        pairs = ", ".join(f"{name.strip()}: 1.0" for name in value.split(",") if name.strip())
        return (
            f" (a name where a mapping of names to numbers belongs: give each its number, e.g. {{{pairs}}})"
        )
    if kind == "float_parsing" and isinstance(value, str) and (percent := _PERCENT.fullmatch(value.strip())):
        # `reasoning: 50%`, a share of a file's rows written as a percentage
        share = float(percent.group(1)) / 100
        return f" (write the share as a number: {percent.group(1)}% is {share:g})"
    return ""


_PERCENT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*%")


# TRL's and transformers' names for what a recipe sets elsewhere (sft.bf16 listed the section's fields, which hold no
# precision) or what the launcher decides
_LAUNCHER = (
    "the launcher decides it, as in accelerate launch --config_file recipes/accelerate/zero2.yaml -m "
    "safealign.cli.main run RECIPE (or zero3.yaml, fsdp.yaml, ddp.yaml: docs/scaling.md)"
)
_VLLM = (
    "not a recipe field yet, so TRL's default applies (the vLLM fields are rl.use_vllm and rl.vllm_mode; "
    "docs/scaling.md, 'Left to do')"
)
_TRAINER_SETTINGS = {
    **dict.fromkeys(("bf16", "fp16", "half_precision", "mixed_precision", "torch_dtype"), "precision"),
    **dict.fromkeys(
        ("deepspeed", "fsdp", "fsdp_config", "num_processes", "distributed_type", "zero_stage"), _LAUNCHER
    ),
    # GRPOConfig's vllm_* fields (TRL 1.16) but its use_vllm and vllm_mode, which rl: has
    **dict.fromkeys(
        (
            f"vllm_{name}"
            for name in (
                "gpu_memory_utilization",
                "max_model_length",
                "tensor_parallel_size",
                "enable_sleep_mode",
                "model_impl",
                "structured_outputs_regex",
                "server_base_url",
                "server_host",
                "server_port",
                "server_timeout",
                "group_port",
                "importance_sampling_correction",
                "importance_sampling_mode",
                "importance_sampling_cap",
                "importance_sampling_clip_max",
                "importance_sampling_clip_min",
            )
        ),
        _VLLM,
    ),
}


def _trainer_setting_hint(loc: tuple, allowed: list[str]) -> str:
    """Where a recipe sets what a TRL or transformers name given as an unknown field sets ("" for other names)."""
    name = str(loc[-1]) if loc else ""
    hint = _TRAINER_SETTINGS.get(name, "")
    # sft, rl and distill train in the recipe's precision; eval and rl.gates have their own
    if hint == "precision":
        where = "precision here" if "precision" in allowed else "the recipe's top-level precision"
        hint = f"set {where}: bf16, fp32 or auto ({_NO_FP16})"
    return f": {hint}" if hint else ""


_NO_FP16 = "no fp16: bf16 on GPUs that have it, such as A100 and H100"
_PRECISION_NAMES = {
    **{name: name for name in ("auto", "bf16", "fp32")},  # BF16: the same, in lower case
    **{"bfloat16": "bf16", "float32": "fp32", "fp16": "", "float16": "", "half": ""},
}


def _precision_value_hint(item: Any) -> str:
    """For a precision refused under TRL's or torch's name (fp16, bfloat16, float32): the value to write."""
    value = item.get("input")
    if item["type"] != "literal_error" or not item["loc"] or item["loc"][-1] != "precision":
        return ""
    name = _PRECISION_NAMES.get(str(value).strip().lower())
    if name is None:
        return ""
    return f" (write {name})" if name else f" ({_NO_FP16}, else fp32)"


def _choice_hint(item: Any, fields: dict[str, Any]) -> str:
    """The choice a field of fixed choices was likely given as (`method: LoRA`, `split: heldout`), where pydantic said
    only "Input should be 'lora' or 'full'"; "" for others. ``fields``: those of the section it is in."""
    value, loc = item.get("input"), item["loc"]
    field = fields.get(loc[-1]) if loc and item["type"] == "literal_error" else None
    if field is None or not isinstance(value, str):
        return ""
    choices = [choice for choice in get_args(field.annotation) if isinstance(choice, str)]
    folded = value.strip().casefold().replace("-", "_").replace(" ", "_")
    if folded in choices:
        return f" (did you mean {folded!r}?)"
    return did_you_mean(folded, choices)


def _percent_hint(item: Any) -> str:
    """For a share from 0 to 1 given above 1 and up to 100 (`warmup_ratio: 5`, `refusal_tolerance: 5`): the share the
    percentage is; "" for others."""
    bound = (item.get("ctx") or {}).get("le", (item.get("ctx") or {}).get("lt"))
    value = item.get("input")
    if item["type"] not in ("less_than", "less_than_equal") or bound != 1:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 < value <= 100:
        return ""
    return f" (a share from 0 to 1: if {value:g} meant {value:g}%, write {value / 100:g})"


def _no_value_hint(item: Any, fields: dict[str, Any]) -> str:
    """For null where a field takes no null (`learning_rate:` with its number commented out said only "= None: Input
    should be a valid number"): how to give a value; "" for others. ``fields``: those of the section it is in."""
    if item.get("input") is not None or item["type"] not in (
        "int_type",
        "float_type",
        "string_type",
        "bool_type",
    ):
        return ""
    if item["loc"] and isinstance(item["loc"][-1], int):  # `- ` with nothing after it, in a list
        return " (an empty list item: write its value after the '-', or remove the line)"
    field = fields.get(item["loc"][-1]) if item["loc"] else None  # None: a mixture's entry, not a field
    if field is not None and field.is_required():
        return " (no value: the key is empty, ~ or null; write a value)"
    default = " for its default" if field is not None else ""
    return f" (no value: the key is empty, ~ or null; write a value, or remove the key{default})"


def _whole_number(text: str) -> int | None:
    """``text`` as a whole number where it is one in float notation (``1e3``, ``2.0e3``), else None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def check_http_url(name: str, value: str | None) -> str | None:
    """``value`` when it is None or an http(s) URL with a host and a valid port; else a ValueError naming ``name``.

    >>> check_http_url("upstream", "http://[::1")
    Traceback (most recent call last):
    ...
    ValueError: upstream 'http://[::1' is not an http:// or https:// URL with a host and a valid port; give one like http://127.0.0.1:8000
    """
    if value is None:
        return value
    try:
        parts = urlsplit(value)
        usable = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)
        )
    except ValueError:  # .port on a bad port, an unclosed IPv6 bracket
        usable = False
    if not usable:
        raise ValueError(
            f"{name} {without_userinfo(value)!r} is not an http:// or https:// URL with a host and a valid port; "
            "give one like http://127.0.0.1:8000"
        )
    return value


def check_report_to(names: list[str]) -> list[str]:
    """``names`` when each is a tracker transformers knows (``report_to``); else a ValueError naming the unknown one.

    Runs only when a recipe sets ``report_to`` (pydantic does not validate the default): reading transformers' own
    list (the installed version is the truth) imports torch, a few seconds paid by recipes that use trackers.
    """
    if not names:
        return names
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    known = [*INTEGRATION_TO_CALLBACK, "all", "none"]
    for name in names:
        if name not in known:
            raise ValueError(
                f"unknown tracker {name!r}{did_you_mean(name, known)}; choose from {', '.join(known)}"
            )
    # transformers adds a callback for each name, and a second of one class only with a warning: every metric went to
    # the tracker twice (a second wandb.init in the same run)
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise ValueError(
            f"{', '.join(repeated)} named more than once: each name adds a tracker callback, so every metric would be "
            "logged again by each; name each tracker once"
        )
    # transformers reads "none" and "all" only as the whole list; beside a tracker, the Trainer's constructor raised
    # "none is not supported" after the model had loaded
    for alone in ("none", "all"):
        if alone in names and len(names) > 1:
            raise ValueError(
                f"{alone!r} stands for {'no tracker' if alone == 'none' else 'every installed tracker'} only as the "
                f"whole list: write [{alone}], or list the trackers without it"
            )
    return names


def redact_url(url: str | None) -> str:
    """``url`` fit for a log line or an error message: no password, no query string or fragment.

    A webhook's token usually rides in its query (or, like Slack's, in its path: only the host of an
    http(s) URL with a path is kept), a database URL's password in its user info.
    """
    if not url:
        return str(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:  # an unclosed IPv6 bracket, a bad port: shown without its password, query or fragment
        shown = without_userinfo(url)  # first: a raw ? or # may sit in the password
        return shown.split("?", 1)[0].split("#", 1)[0] + ("?…" if "?" in shown else "")
    if not parts.netloc:  # sqlite:///FILE: nothing secret but a query
        return url.split("?", 1)[0].split("#", 1)[0] + ("?…" if parts.query else "")
    host = parts.hostname or ""
    if ":" in host:  # IPv6, which hostname gives without its brackets: "http://::1:8000" read as port 1:8000
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    if parts.username:
        host = f"{parts.username}:***@{host}" if parts.password else f"{parts.username}@{host}"
    path = parts.path
    if parts.scheme in ("http", "https") and path.strip("/"):
        path = "/…"
    return urlunsplit((parts.scheme, host, path, "…" if parts.query else "", ""))


# scheme://user:password@ in any spelling: httpx's messages hold the URL it normalised (host and scheme lowercased,
# "@" in a password quoted), not the one given, so replacing the given string misses it. The password runs to the
# last "@" before whitespace: urlsplit takes a raw "@" in a password, and a raw / ? or # in one ("pa/ss") leaves a URL
# that does not parse but still holds the password. (A URL whose query holds an "@" loses its port and path too.)
# the password runs to the last "@" before a space or the next URL ("http://h:8000/v1,http://u:p@h" has one password)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#:@]*):(?:(?![a-zA-Z][\w+.-]*://)\S)*@")


def without_userinfo(url: str) -> str:
    """``url`` with the password before its last "@" starred, for a URL too malformed to parse (no scheme, a raw
    / or a space in the password): the user is kept, as :func:`redact_url` keeps it.

    >>> without_userinfo("admin:pa/ss@127.0.0.1:9"), without_userinfo("bob@host:8000")
    ('admin:***@127.0.0.1:9', 'bob@host:8000')
    >>> without_userinfo("admin:1234/56@127.0.0.1:8000")  # no scheme: the digits are a password, not a port
    'admin:***@127.0.0.1:8000'
    >>> without_userinfo("http://myhost:99999/v1/@team")  # an "@" in the path, after a port: no user info
    'http://myhost:99999/v1/@team'
    """
    head, _, host = url.rpartition("@")
    scheme, sep, userinfo = head.partition("://") if "://" in head else ("", "", head)
    if ":" not in userinfo:  # no password, or no user info at all
        return url
    # An "@" after a "/" is ambiguous: "http://myhost:99999/v1/@team" is a host, port and path, "u:pa/ss@h" a password
    # with a raw "/". After a scheme, digits up to the "/" are a port, as urlsplit and httpx (and redact_url's parsed
    # branch) read them, so the URL is shown as the request would go; anything else there cannot be a port, and is
    # starred as a password. Without a scheme there is no host to read: "admin:1234/56@host" is starred whole.
    user, _, after_colon = userinfo.partition(":")
    if sep and "/" not in user and after_colon.split("/", 1)[0].isdigit() and "/" in after_colon:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def without_passwords(text: str) -> str:
    """``text`` (an error's message, which may quote the URL it was given) with the password of every URL in it
    starred out; unlike :func:`redact_url` it keeps the rest of the URL.

    >>> without_passwords("cannot reach http://user:s3cret@127.0.0.1:8000/v1")
    'cannot reach http://user:***@127.0.0.1:8000/v1'
    """
    return _URL_PASSWORD.sub(r"\1:***@", text)
