"""A recipe: one YAML file validated by typed config classes before any model loads."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from safealign.config.base import Section, format_validation_error, yaml11_number_problem
from safealign.config.sections import (
    DistillConfig,
    EvalConfig,
    ModelConfig,
    MonitorConfig,
    RLConfig,
    SampleConfig,
    SFTConfig,
    check_transfer_data_not_traces,
)
from safealign.errors import RecipeError

log = logging.getLogger(__name__)


class Recipe(Section):
    name: str = Field(
        "run",
        description="Run name: outputs go to OUTPUT_DIR/NAME/ (letters, digits, '.', '_' and '-', not only dots).",
    )
    output_dir: str = Field("runs", description="Folder that holds run folders.")
    seed: int = Field(
        42,
        ge=0,
        le=2**32 - 1,
        description="Seed for data order, sampling and initialisation (0 to 2**32 - 1, the range numpy's seeding takes).",
    )
    precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto",
        description="Precision of the training stages (sft, rl, distill) and of rejection sampling: auto picks bf16 "
        "where this device runs it measurably faster. The evals generate in eval.precision, the RL gates in "
        "rl.gates.precision (both fp32 by default).",
    )
    model: ModelConfig = Field(default_factory=ModelConfig, description="The model to post-train.")
    eval: EvalConfig = Field(
        default_factory=EvalConfig, description="Evaluation before, between and after stages."
    )
    sft: SFTConfig | None = Field(None, description="Supervised fine-tuning stage (omit to skip).")
    rl: RLConfig | None = Field(None, description="GRPO stage (omit to skip).")
    sample: SampleConfig | None = Field(
        None,
        description="Rejection sampling stage (omit to skip; with a distill section it runs with its defaults).",
    )
    distill: DistillConfig | None = Field(None, description="Distillation stage (omit to skip).")
    monitor: MonitorConfig | None = Field(
        None,
        description="Deployment monitor settings, read by `safealign monitor --recipe FILE` (and its `judge` and `evaluate` commands); options given on the command line override them, and so do the "
        "environment variables that stand for options (an option typed wins over its variable): $SAFEALIGN_MONITOR_KEY "
        "(api_key, in `safealign monitor`), $SAFEALIGN_MONITOR_JUDGE (judge, in every command that takes --judge: "
        "`safealign monitor`, `monitor judge` and `monitor evaluate`), $SAFEALIGN_MONITOR_DB (db, in `monitor judge`) "
        "and $SAFEALIGN_MONITOR_WEBHOOK (webhook, in `monitor judge`).",
    )

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name

    @field_validator("output_dir")
    @classmethod
    def _home_expanded(cls, value: str) -> str:
        # `~/runs` is the home folder's runs/ to a shell, as it is in a dataset path, but Path keeps "~" as a folder's
        # name: the run went to ./~/runs, which `rm -rf ~` would then be typed to clean up
        if not value.startswith("~"):
            return value
        try:
            return str(Path(value).expanduser())
        except RuntimeError:  # "~someone/runs" of no such user
            raise ValueError(
                f"{value.split('/', 1)[0]} is no user's home folder here: give the folder's full path"
            ) from None

    @field_validator("name")
    @classmethod
    def _name_is_one_folder(cls, value: str) -> str:
        # "." and ".." passed the old pattern: the run folder was output_dir itself, or its parent
        if not re.fullmatch(r"[A-Za-z0-9._-]+", value) or not value.strip("."):
            raise ValueError(
                "a run name is one folder's name: letters, digits, '.', '_' and '-', and not only dots "
                "(e.g. quickstart-v2)"
            )
        return value

    @model_validator(mode="after")
    def _rl_rewards_score_its_tasks(self, info: ValidationInfo) -> Recipe:
        if self.rl is not None:
            try:
                self.rl.check_every_task_is_scored()
            except ValueError as error:
                raise ValueError(f"rl: {error}") from None
            # the RL stage's warnings, for a command that runs it (see parse_recipe's runs_rl)
            if (info.context or {}).get("runs_rl", True):
                self.rl.warn_if_detectors_cannot_fire()
                self.rl.warn_if_gates_cannot_check()
                self.rl.warn_if_vllm_mode_unused()
        return self

    @model_validator(mode="after")
    def _warn_if_rl_trains_an_eval_family(self) -> Recipe:
        """A warning, not an error: RL and sampling prompts stay off an ``rg:`` suite's items, but a suite of a family
        the stages train on no longer measures an unseen one."""
        from safealign.evals.suites import FAMILY_PREFIX, expand_suite_names
        from safealign.tasks.problems import parse_family_spec

        if self.rl is None or not self.rl.enabled:
            return self
        trained = {parse_family_spec(task)[0] for task in self.rl.tasks if task != "safety"}
        names = [*self.eval.suites, *(self.monitor.eval_suites if self.monitor is not None else [])]
        for name in expand_suite_names(names):
            if (
                name.startswith(FAMILY_PREFIX)
                and parse_family_spec(name.removeprefix(FAMILY_PREFIX))[0] in trained
            ):
                log.warning(
                    "eval suite %s scores a family rl.tasks trains on: its items are kept out of the RL and "
                    "sampling prompts, but it measures a trained family, not an unseen one",
                    name,
                )
        return self

    @model_validator(mode="after")
    def _distill_has_traces(self) -> Recipe:
        if (
            self.distill is not None
            and self.distill.enabled
            and self.sample is not None
            and not self.sample.enabled
        ):
            # the pipeline sampled anyway (validate listed only distill), or would have distilled from nothing
            raise ValueError(
                "distill needs rejection sampling's traces, but the recipe has sample.enabled: false; set "
                "sample.enabled: true, or remove the distill section"
            )
        return self

    @model_validator(mode="after")
    def _transfer_data_is_not_the_traces(self) -> Recipe:
        # the traces the pipeline distils on (run_sample's traces.jsonl); `safealign distill --traces FILE` reads others
        if self.distill is not None:
            check_transfer_data_not_traces(
                self.distill.transfer_data, self.run_dir / "sample" / "traces.jsonl"
            )
        return self

    @model_validator(mode="after")
    def _sample_has_reasoning_tasks(self) -> Recipe:
        """Sampling draws ``1 - safety_share`` of its prompts from rl.tasks' reasoning tasks in their RL ratio
        (safealign.stages.rl_prompts.sample_mixture); a safety-only rl.tasks left that share to nothing: 100% safety
        prompts at 0 < safety_share < 1, a ZeroDivisionError at 0."""
        distills = self.distill is not None and self.distill.enabled
        sample = self.sample or (SampleConfig() if distills else None)  # as the pipeline runs it
        if sample is None or not sample.enabled or self.rl is None or sample.safety_share == 1.0:
            return self
        if not any(name != "safety" and weight > 0 for name, weight in self.rl.tasks.items()):
            implicit = "" if self.sample else " (run for distill with its defaults)"
            raise ValueError(
                f"the sample stage{implicit} draws {1 - sample.safety_share:g} of its prompts (1 - "
                f"sample.safety_share) from rl.tasks' reasoning tasks, but rl.tasks has only safety: add a reasoning "
                "task to rl.tasks (e.g. basic_arithmetic: 0.5), or set sample.safety_share: 1.0 to sample safety "
                "prompts only"
            )
        return self


def parse_recipe(data: dict, source: str = "recipe", *, runs_rl: bool = True) -> Recipe:
    """Validate a recipe's mapping; raise :class:`RecipeError` naming each bad field. ``runs_rl``: False for a command
    that runs no RL stage (`safealign sft`, `sample`, `distill`), which is not told that the RL stage's detectors or
    gates cannot check (the rl section is validated all the same)."""
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: a recipe is a YAML mapping of sections, got {type(data).__name__}")
    try:
        return Recipe.model_validate(_fill_empty(data, Recipe), context={"runs_rl": runs_rl})
    except ValidationError as error:
        raise format_validation_error(error, Recipe, source) from None
    except RecursionError:
        raise RecipeError(f"{source}: {TOO_DEEP}") from None


TOO_DEEP = (
    "nested too deeply to read, or a value holds itself (an alias inside its own anchor, like `a: &a [*a]`): "
    "write the value out without the self-reference, or flatten the nesting"
)


class _Empty:
    """What :class:`UniqueKeyLoader` reads for a key with nothing after it (``sft:``); YAML reads it as null."""

    def __repr__(self) -> str:
        return "(empty)"


EMPTY = _Empty()


def _fill_empty(data: object, model: type[Section] | None) -> object:
    """``data`` with each EMPTY value read: a section key left empty (``sft:`` over commented-out settings, or
    ``hacking:`` under ``rl:``) is the section with its defaults, as ``sft: {}`` is; any other key left empty is null.
    An explicit null (``rl: ~``, ``rl: null``) stays null, which skips a stage, as leaving the section out does."""
    if isinstance(data, list):
        return [_fill_empty(item, None) for item in data]
    if not isinstance(data, dict):
        return None if data is EMPTY else data
    fields = model.model_fields if model is not None else {}
    filled = {}
    for key, value in data.items():
        section = _section_class(fields[key].annotation) if key in fields else None
        filled[key] = {} if value is EMPTY and section is not None else _fill_empty(value, section)
    return filled


def _section_class(annotation: object) -> type[Section] | None:
    """The section a field holds (``SFTConfig`` for ``SFTConfig | None``), or None when it holds none."""
    for kind in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(kind, type) and issubclass(kind, Section):
            return kind
    return None


def load_recipe(path: str | Path, *, runs_rl: bool = True) -> Recipe:
    """Read and validate a recipe file; raise :class:`RecipeError` naming each bad field. ``runs_rl``: see
    :func:`parse_recipe`."""
    path = Path(path)
    if path.is_dir():
        raise RecipeError(f"recipe {path} is a folder: give the YAML file (e.g. recipes/quickstart.yaml)")
    if not path.is_file():
        raise RecipeError(f"recipe {path} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        utf16 = path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # its byte-order mark
        raise RecipeError(
            f"{path}: not UTF-8 text (byte {error.start}{': the file is UTF-16' if utf16 else ''}): save "
            f"the recipe as UTF-8 (e.g. `iconv -f {'utf-16' if utf16 else 'latin1'} -t utf-8 {path} > fixed.yaml`)"
        ) from None
    data = read_yaml(text, str(path), keep_empty=True)
    if data is None or data is EMPTY:  # only an empty file (or a bare `---`) is the default recipe
        data = {}
    return parse_recipe(data, str(path), runs_rl=runs_rl)


def read_yaml(text: str, source: str, *, keep_empty: bool = False) -> object:
    """YAML ``text`` read with :class:`UniqueKeyLoader`, so that a key written twice is an error naming key and line.
    A value left empty is null, or EMPTY with ``keep_empty`` (see :func:`parse_recipe`). Bad YAML, nesting too deep
    for the reader and a value that holds itself raise :class:`RecipeError` naming ``source``."""
    try:
        data = yaml.load(text, Loader=UniqueKeyLoader)
        return data if keep_empty else _fill_empty(data, None)
    except AmbiguousNumberError as error:
        raise RecipeError(f"{source}: {error}") from None
    except yaml.YAMLError as error:
        raise RecipeError(
            f"{source}: not valid YAML: {str(error).replace('<unicode string>', source)}"
        ) from None
    except RecursionError:
        raise RecipeError(f"{source}: {TOO_DEEP}") from None


class AmbiguousNumberError(yaml.YAMLError):
    """An unquoted number that YAML 1.1 reads as another one than it shows (see :func:`yaml11_number_problem`)."""


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key written twice in one mapping is an error (a key that overrides one a
    merge key ``<<: *anchor`` brings in is not), that an unquoted octal (``010``) or base-60 (``1:30``) number is an
    error naming its line, and that a value left empty
    (``rl:`` with nothing after it) is read as EMPTY, not null, so that :func:`parse_recipe` can tell it from ``rl: ~``.

    YAML says keys are unique, but PyYAML keeps the last value without a word, so a recipe with two
    ``sft:`` blocks would silently train with the second; PyYAML has no switch for this.
    """

    def construct_document(self, node: yaml.Node) -> object:
        self._refuse_ambiguous_numbers(node, "", set())
        return super().construct_document(node)

    def _refuse_ambiguous_numbers(self, node: yaml.Node, path: str, seen: set[int]) -> None:
        """AmbiguousNumberError for the first plain scalar under ``node`` (at ``path``, dotted as the errors of
        :func:`parse_recipe` are) that YAML 1.1 reads as another number than it shows. ``seen``: an alias's node is
        checked where its anchor is (and a value that holds itself, ``&a [*a]``, ends)."""
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            problem = (
                yaml11_number_problem(node.value) if node.style is None and node.tag in _NUMBER_TAGS else None
            )
            if problem:
                raise AmbiguousNumberError(
                    f"line {node.start_mark.line + 1}: {path or '(top level)'}: {node.value}: {problem}"
                )
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._refuse_ambiguous_numbers(item, f"{path}.{index}" if path else str(index), seen)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._refuse_ambiguous_numbers(key, f"{path} (a key)" if path else "(a key)", seen)
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                self._refuse_ambiguous_numbers(value, f"{path}.{name}" if path else name, seen)

    def construct_yaml_null(self, node: yaml.ScalarNode) -> _Empty | None:
        empty = node.start_mark.index == node.end_mark.index  # nothing written: no `~`, `null` or `!!null`
        return EMPTY if empty else None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict = {}
        for key_node, _ in node.value:
            # `<<: *anchor`: PyYAML's construct_mapping merges it in; a key written beside it overrides a merged one
            merge = (
                key_node.tag == "tag:yaml.org,2002:merge"
            )  # its value is a mapping (or list), no key to read
            key = "<<" if merge else self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except (
                TypeError
            ):  # a list or mapping as a key: the error PyYAML gives, which `key in seen` would pre-empt
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice (first {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = f"line {key_node.start_mark.line + 1}"
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:null", UniqueKeyLoader.construct_yaml_null)
# YAML 1.1 reads an unquoted "=" as its "value" key type, which PyYAML cannot construct: `system_prompt: =` failed as "could
# not determine a constructor for the tag 'tag:yaml.org,2002:value'". It is the text written, as in YAML 1.2.
UniqueKeyLoader.add_constructor("tag:yaml.org,2002:value", UniqueKeyLoader.construct_yaml_str)
