"""Load a resolved spec into a (model, tokenizer) pair."""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safealign.allocator import keep_freed_memory
from safealign.errors import ModelNotFoundError
from safealign.models.embedded import EMBEDDED_MODELS, json_file_problem, prepare_embedded
from safealign.models.specs import ModelSpec, adapter_base, resolve_spec
from safealign.models.tiny import build_tiny_model, real_tokenizer_folder

log = logging.getLogger(__name__)

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


@dataclass
class LoadedModel:
    """A model ready for generation or training, with where it came from."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    source: str
    info: dict = field(default_factory=dict)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def load_tokenizer(folder: str | Path, trust_remote_code: bool = False):
    """Load a tokenizer and give it a pad token (its eos token when it has none), as batched generation and TRL need.

    The padding side stays the tokenizer's own: the generation engine left-pads its batches itself (generation.py)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
    if tokenizer.pad_token is None:
        if (
            tokenizer.eos_token is None
        ):  # TRL pads with it, batched generation too: a traceback inside TRL otherwise
            fix = (
                'set "eos_token" (and "pad_token") in its tokenizer_config.json to the model\'s end-of-text token'
                if (Path(folder) / "tokenizer_config.json").is_file()
                else "it has no tokenizer_config.json, where tokenizer.save_pretrained(folder) records them: copy that "
                'file from the model it came from, or write one setting "eos_token" to the model\'s end-of-text token'
            )
            raise ModelNotFoundError(
                f"the tokenizer in {folder} has neither a pad token nor an eos token; {fix}"
            )
        tokenizer.pad_token = tokenizer.eos_token
    if problem := chat_template_compile_problem(tokenizer, Path(folder)):
        raise ModelNotFoundError(problem)
    return tokenizer


def chat_template_compile_problem(tokenizer: Any, folder: Path) -> str | None:
    """Why ``tokenizer``'s chat template does not compile, with the fix; else None. Compiled as apply_chat_template
    compiles it (transformers' own cached function), so a template it takes is never refused: a hand edit with a
    Jinja syntax error loaded without a word and every prompt then failed in a traceback."""
    from jinja2 import TemplateError

    try:
        from transformers.utils.chat_template_utils import _compile_jinja_template
    except ImportError:  # pragma: no cover - a transformers without it: apply_chat_template says it
        return None
    templates = tokenizer.chat_template
    named = templates if isinstance(templates, dict) else {None: templates}
    for name, template in named.items():
        if not isinstance(template, str):
            continue
        file = "chat_template.jinja" if name is None else f"additional_chat_templates/{name}.jinja"
        where = folder / file if (folder / file).is_file() else folder / "tokenizer_config.json"
        # A chat_template.jinja cut to nothing (a full disk) compiles: the model was then prompted as a base model
        if not template.strip():
            return (
                f"the chat template in {where} is empty (a save cut short: a full disk, or a copy in part), so an "
                "instruct model would be prompted as plain text; copy the template from the model this one came from, "
                "or delete the empty file if the model has none (a base model)"
            )
        try:
            _compile_jinja_template(template)
        except TemplateError as error:
            line = f" line {error.lineno}:" if getattr(error, "lineno", None) else ""
            return (
                f"the chat template in {where} does not compile ({type(error).__name__}:{line} "
                f"{' '.join(str(error).split())[:160]}), so every prompt would fail; fix it, or copy the template "
                "from the model this one came from"
            )
    return None


def damaged_safetensors(files: Iterable[Path]) -> str | None:
    """Why one of these ``.safetensors`` files cannot load (a save cut short, a copy in part), else None.

    ``safe_open`` reads the header only, and refuses a file shorter than the tensor data the header lists
    ("incomplete metadata, file not fully covered"), so this stays cheap for large models.
    """
    from safetensors import SafetensorError, safe_open

    for file in files:
        try:
            with safe_open(str(file), framework="pt"):
                pass
        except (SafetensorError, OSError) as error:
            return f"{file.name} is damaged ({' '.join(str(error).split())[:160]})"
    return None


def weights_problem(folder: Path) -> str | None:
    """Why ``folder``'s safetensors weights cannot load, else None: none there, a damaged file, a shard its index lists missing."""
    import json

    files = sorted(folder.glob("*.safetensors"))
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            return f"{index.name} does not load ({type(error).__name__}: {error})"
        # A hand edit: a TypeError traceback in the path join below, or transformers' own
        names = weight_map.values() if isinstance(weight_map, dict) else [None]
        if not all(isinstance(shard, str) and shard for shard in names):
            return (
                f"{index.name} is damaged (its weight_map does not map each tensor name to a shard file name)"
            )
        if missing := sorted(shard for shard in set(weight_map.values()) if not (folder / shard).is_file()):
            return f"the shards {', '.join(missing)} that {index.name} lists are missing"
    # transformers says "no file named model.safetensors", a file a sharded model never has
    elif (shards := [file.name for file in files if SHARD_NAME.search(file.name)]) and not (
        folder / "model.safetensors"
    ).is_file():
        return f"it has the shards {first_keys(shards)} but not {index.name}, which says which tensors each one holds"
    if not files:
        return "it has no .safetensors weights"
    return damaged_safetensors(files)


# What save_pretrained names a shard of a sharded checkpoint: model-00001-of-00004.safetensors
SHARD_NAME = re.compile(r"-\d+-of-\d+\.safetensors$")


def in_models_cache(folder: Path) -> bool:
    """Whether ``folder`` is a conversion safealign made in its cache (the embedded model, a .gguf file's)."""
    from safealign.paths import models_cache

    return folder.resolve().parent == models_cache().resolve()


def damaged_model_error(folder: Path, problem: str) -> ModelNotFoundError:
    """The error for a model folder whose files do not load, with the fix: redo the stage or conversion that wrote it,
    or copy it again."""
    stage_record = folder.parent / "stage.json"
    if in_models_cache(folder):  # a conversion safealign made: made again, not copied
        fix = (
            f"it is the embedded model's cache: run `safealign models prepare {folder.name} --force` to convert it again"
            if folder.name in EMBEDDED_MODELS
            else f"it is a GGUF file's conversion in the cache: delete {folder} and it is converted again"
        )
    elif stage_record.is_file():
        fix = (
            f"it is the output of the stage in {folder.parent}: delete {stage_record} and rerun to redo that stage "
            "(it resumes from its last checkpoint), or give another model"
        )
    else:
        fix = "save or copy it again, or give another model"
    return ModelNotFoundError(
        f"cannot load the model in {folder}: {problem} (a save cut short: a stopped run, a full disk, "
        f"or a copy in part); {fix}"
    )


def _load_folder(folder: Path, trust_remote_code: bool, dtype: Any = None):
    import torch
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    # A conversion in the cache is made again, not restored by hand: each of its failures names that fix.
    converted = in_models_cache(folder)
    if converted and (problem := json_file_problem(folder / "config.json", "model_type")):
        raise damaged_model_error(folder, problem)
    # First: a config.json of something else is not a model missing its weights.
    check_model_config(folder / "config.json")
    # A shard index with its shards gone (a download of the *.json files only, a copy in progress) is no other format
    has_safetensors = any(folder.glob("*.safetensors")) or (folder / "model.safetensors.index.json").is_file()
    if not has_safetensors:
        raise ModelNotFoundError(
            f"{folder} has no .safetensors weights; safealign reads safetensors only "
            "(convert with transformers: model.save_pretrained(folder, safe_serialization=True))"
        )
    if problem := weights_problem(folder):  # before the tokenizer and the model: one line naming the file
        raise damaged_model_error(folder, problem)
    # transformers reads a damaged one as none (an info line): the model's own stop tokens (Gemma's <end_of_turn>) and
    # sampling defaults were lost without a word, and its answers ran on to the length limit
    if (folder / "generation_config.json").is_file() and (
        problem := json_file_problem(folder / "generation_config.json")
    ):
        raise damaged_model_error(folder, problem)
    try:
        tokenizer = load_tokenizer(folder, trust_remote_code)
    except (
        OSError,
        ValueError,
        ModelNotFoundError,
    ) as error:  # no tokenizer files: transformers guesses a class and fails inside it
        if converted:
            missing = [
                name for name in ("tokenizer.json", "tokenizer_config.json") if not (folder / name).is_file()
            ]
            problem = f"it has no {' or '.join(missing)}" if missing else " ".join(str(error).split())[:200]
            raise damaged_model_error(folder, f"its tokenizer does not load ({problem})") from None
        if isinstance(error, ModelNotFoundError):  # the tokenizer's own fix (a pad or eos token)
            raise
        # A tokenizer of its own code (auto_map in tokenizer_config.json) loads first: it was "no usable tokenizer,
        # copy the files again", and the model's own custom-code message was never reached
        if refusal := custom_tokenizer_refusal(folder, error, trust_remote_code):
            raise refusal from None
        present = [name for name in TOKENIZER_FILES if (folder / name).is_file()]
        why = (
            f"it fails to load from {', '.join(present)}: {' '.join(str(error).split())[:200]}"
            if present
            else "no tokenizer files"
        )
        raise ModelNotFoundError(
            f"{folder} has no usable tokenizer ({why}). A model folder needs "
            "config.json, *.safetensors and the tokenizer files tokenizer.save_pretrained(folder) writes "
            "(tokenizer.json, tokenizer_config.json): copy them from the model it was trained from"
        ) from error
    try:
        model, loading_info = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=dtype or torch.float32,
            use_safetensors=True,
            trust_remote_code=trust_remote_code,
            output_loading_info=True,
        )
    except (SafetensorError, OSError) as error:  # a damage the header check cannot see, or a file gone since
        raise damaged_model_error(
            folder, f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
        ) from error
    except (
        ValueError,
        RuntimeError,
        KeyError,
    ) as error:  # config.json: an unknown architecture, custom code, wrong sizes
        if converted:
            raise damaged_model_error(
                folder, f"its config.json does not build the model ({' '.join(str(error).split())[:200]})"
            ) from None
        raise ModelNotFoundError(
            f"cannot load the model in {folder}: {config_problem(folder, error)}"
        ) from None
    # transformers fills a missing tensor with random values and drops an unexpected one, with a warning only
    if problem := weights_mismatch(model, loading_info):
        if kind := not_a_causal_lm(folder / "config.json"):  # a classifier's score.weight is no damage
            raise ModelNotFoundError(f"cannot load the model in {folder}: {kind}")
        raise damaged_model_error(folder, problem)
    return model, tokenizer


def not_a_causal_lm(config: Path) -> str | None:
    """Why ``config``'s ``architectures`` are no causal language model (a reward model or classifier, a bare encoder or
    base model without its head, a seq2seq model), with the fix; else None (a causal LM, custom code, or none listed).
    ``AutoModelForCausalLM`` loads a LlamaForSequenceClassification as a LlamaForCausalLM short of its head."""
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    try:
        names = json.loads(config.read_text(encoding="utf-8")).get("architectures")
    except (OSError, ValueError, AttributeError):
        return None
    if not names or not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    causal = set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
    if any(name in causal or name.endswith(("ForCausalLM", "LMHeadModel")) for name in names):
        return None
    if not all(hasattr(transformers, name) for name in names):  # custom code (auto_map) may be a causal LM
        return None
    return (
        f"it is a {', '.join(names)} (architectures in its config.json), not a causal language model (…ForCausalLM), "
        "which safealign generates with and trains. Give a causal LM's folder: for a reward model, classifier or "
        "embedding model, the chat model it was trained from"
    )


def first_keys(keys: Iterable[str], shown: int = 3) -> str:
    """``a, b, c and 4 more``: the first few of ``keys``, sorted."""
    names = sorted(keys)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def missing_weights(model: Any, loading_info: dict) -> set[str]:
    """The tensors ``model`` needs that ``from_pretrained`` did not find (it filled them with random values), less those
    tied to one it loaded (a tied lm_head.weight)."""
    names_of: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        names_of.setdefault(id(param), []).append(name)
    missing = set(loading_info.get("missing_keys") or ())
    tied = {name for names in names_of.values() if not set(names) <= missing for name in names}
    return missing - tied


def weights_mismatch(model: Any, loading_info: dict) -> str | None:
    """Why the weights ``from_pretrained`` read do not make ``model``, else None: tensors its config.json asks for that
    the files lack (a dropped tensor or shard, more layers in config.json), tensors the files hold that it has no place
    for (fewer layers), or tensors of another shape. A missing weight tied to a loaded one (a tied lm_head.weight) is
    not missing."""
    problems = []
    if missing := missing_weights(model, loading_info):
        problems.append(f"missing from the weights: {first_keys(missing)}")
    if unexpected := loading_info.get("unexpected_keys"):
        problems.append(f"in the weights, not in the model: {first_keys(unexpected)}")
    if mismatched := loading_info.get("mismatched_keys"):  # (name, shape, shape)
        problems.append(f"of another shape: {first_keys(key[0] for key in mismatched)}")
    if not problems:
        return None
    return f"its weights do not match its config.json (one from another model?): {'; '.join(problems)}"


def check_model_config(config: Path) -> None:
    """Refuse a ``config.json`` that is not valid JSON or not a model's (no ``model_type``), naming the fix."""
    import json

    if not config.is_file():
        return
    try:  # the tokenizer reads it too, and would blame itself
        data = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelNotFoundError(
            f"{config} is not valid JSON ({' '.join(str(error).split())[:120]}); restore the model's "
            "config.json (save_pretrained writes it)"
        ) from None
    if not isinstance(data, dict) or "model_type" not in data:
        raise ModelNotFoundError(
            f"{config} is not a model config (it has no model_type): {config.parent} is not a Hugging Face "
            "model folder. Give the folder save_pretrained wrote (config.json with model_type, *.safetensors, "
            "the tokenizer files); for a run, its stage's model folder (runs/NAME/STAGE/model)"
        )


def custom_code_problem(file: str) -> str:
    """Why a folder whose ``file`` (config.json, tokenizer_config.json) names its own code in auto_map does not load
    without trust_remote_code, and the two ways to allow it."""
    return (
        f"its {file} asks for custom code (auto_map), which runs the folder's own Python files; if you trust "
        "that code, set `model.trust_remote_code: true` in the recipe, or pass --trust-remote-code to "
        "`safealign eval`, `serve`, `generate` or `probe`"
    )


def custom_tokenizer_refusal(
    folder: Path, error: Exception, trust_remote_code: bool
) -> ModelNotFoundError | None:
    """The error for a tokenizer in ``folder`` that failed to load because it is its own code and that is not
    allowed, else None."""
    if trust_remote_code or "trust_remote_code" not in str(error):
        return None
    return ModelNotFoundError(
        f"cannot load the model in {folder}: {custom_code_problem('tokenizer_config.json')}"
    )


def config_problem(folder: Path, error: Exception) -> str:
    """What is wrong with a model folder whose ``config.json`` transformers refuses, and the fix."""
    text = " ".join(str(error).split())
    if "trust_remote_code" in text:
        return custom_code_problem("config.json")
    if kind := not_a_causal_lm(folder / "config.json"):  # a T5, a vision-language model: no causal LM class
        return kind
    if "size mismatch" in text or "ignore_mismatched_sizes" in text:
        return "the sizes in its config.json do not match the weights (a config.json from another model?); restore the model's own"
    return (
        f"its config.json does not describe a model this transformers version can build ({text[:200]}); upgrade "
        "transformers, or fix config.json (model_type, architectures)"
    )


def _load_gguf(path: Path):
    """A user's own .gguf file: converted into the cache once, like the embedded model."""
    import hashlib

    from safealign.models.embedded import convert_gguf
    from safealign.paths import models_cache

    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelNotFoundError(
                f"{path} is not a GGUF model: it does not start with the GGUF magic bytes (a download that failed, or "
                "another format renamed). Give a real .gguf file, or a Hugging Face model folder"
            )
    # Before the cache too: a conversion made of one part is half noise
    if problem := split_gguf_problem(path):
        raise ModelNotFoundError(problem)
    # The cache is this file as it is now: a file replaced at the same path (another model, a copy cut short) is
    # converted again, not served from the old file's conversion.
    stat = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    folder = models_cache() / f"gguf-{path.stem}-{digest}"
    if not (folder / "model.safetensors").is_file():
        try:
            convert_gguf(path, folder, lambda message: log.info(message))
        except ModelNotFoundError:  # convert_gguf's own line, naming the file and the fix
            raise
        except Exception as error:  # noqa: BLE001 - gguf's reader fails in struct, numpy or KeyError on a damaged file
            raise ModelNotFoundError(
                f"{path} is not a readable GGUF model ({type(error).__name__}: {' '.join(str(error).split())[:160]}): a copy "
                "cut short, or a GGUF architecture transformers cannot convert. Give a whole .gguf file, or a Hugging "
                "Face model folder"
            ) from None
    return folder


# How llama.cpp's gguf-split names the parts of a split model (and how Hub repositories ship them)
GGUF_PART_NAME = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


def split_gguf_problem(path: Path) -> str | None:
    """Why ``path`` is one part of a GGUF split into several files (llama.cpp's gguf-split, as large models ship),
    else None. transformers reads that one file and left every tensor of the other parts at random values, with a
    warning only: the model converted and loaded, half of it noise. Told by its name (``-00001-of-00003.gguf``), which
    the merge needs too; its header's split.count took gguf's reader seconds to reach past the vocabulary."""
    match = GGUF_PART_NAME.search(path.name)
    if match is None or int(match.group(2)) <= 1:
        return None
    first = path.with_name(GGUF_PART_NAME.sub(f"-00001-of-{match.group(2)}.gguf", path.name))
    return (
        f"{path} is part {int(match.group(1))} of {int(match.group(2))} of a GGUF model split into files (llama.cpp's "
        "gguf-split), and only a whole model converts: merge the parts into one file with `llama-gguf-split --merge "
        f"{shlex.quote(str(first))} merged.gguf`, then give merged.gguf"
    )


def generation_device() -> str | None:
    """Where a model that only generates (eval, sampling, serving) goes: this process's GPU when torch sees one
    (``cuda:LOCAL_RANK`` under ``accelerate launch``, so ranks do not pile onto GPU 0), else the CPU (None).

    Training stages leave placement to the Trainer (accelerate), which picks the same device.
    """
    from safealign.distributed import process_device

    device = process_device()
    return None if device.type == "cpu" else str(device)


def load_model(
    spec: str | ModelSpec,
    trust_remote_code: bool = False,
    device: str | None = None,
    merge_adapter: bool = False,
    dtype: Any = None,
) -> LoadedModel:
    """Load ``spec`` (see :mod:`safealign.models`) as float32 weights on ``device`` (CPU by default).

    ``dtype`` (a ``torch.dtype``) loads the weights in that type instead: a bf16 model for the GPU read as float32 and
    cast held twice its memory at the peak (32 GB for an 8B model). A LoRA adapter's base loads in it; peft keeps an
    unmerged adapter's own small weights in float32.

    ``merge_adapter`` folds a LoRA adapter into its base's weights (peft's ``merge_and_unload``) and returns a plain
    model: what training needs, since a trainer either adds its own adapter (TRL refuses a ``PeftModel`` with a
    ``peft_config``) or trains every weight. Without it an adapter loads as a ``PeftModel`` on its base.
    """
    keep_freed_memory()  # every stage that trains or generates loads its model here first
    resolved = spec if isinstance(spec, ModelSpec) else resolve_spec(spec)
    if resolved.kind == "embedded":
        folder = prepare_embedded(resolved.name)
        model, tokenizer = _load_folder(folder, trust_remote_code=False, dtype=dtype)
        info = {
            "base_model": EMBEDDED_MODELS[resolved.name].base_model,
            "license": EMBEDDED_MODELS[resolved.name].license,
        }
        loaded = LoadedModel(model, tokenizer, resolved, str(folder), info)
    elif resolved.kind == "tiny":
        tokenizer = load_tokenizer(real_tokenizer_folder())
        model = build_tiny_model(tokenizer, resolved.seed)  # in float32
        loaded = LoadedModel(model.to(dtype) if dtype else model, tokenizer, resolved, resolved.raw)
    elif resolved.kind == "hf_folder":
        model, tokenizer = _load_folder(resolved.path, trust_remote_code, dtype)
        loaded = LoadedModel(model, tokenizer, resolved, str(resolved.path))
    elif resolved.kind == "gguf_file":
        folder = _load_gguf(resolved.path)
        model, tokenizer = _load_folder(folder, trust_remote_code=False, dtype=dtype)
        loaded = LoadedModel(model, tokenizer, resolved, str(resolved.path))
    elif resolved.kind == "lora_adapter":
        loaded = _load_adapter(resolved, trust_remote_code, merge_adapter, dtype)
    else:  # pragma: no cover - resolve_spec only returns the kinds above
        raise ModelNotFoundError(f"cannot load spec kind {resolved.kind!r}")
    if resolved.kind == "tiny":
        # PEFT records this as base_model_name_or_path, so an adapter folder finds its base again.
        loaded.model.name_or_path = loaded.model.config._name_or_path = resolved.raw
    if device:
        loaded.model.to(device)
    loaded.model.eval()
    return loaded


def _load_adapter(
    resolved: ModelSpec, trust_remote_code: bool, merge: bool, dtype: Any = None
) -> LoadedModel:
    if problem := damaged_safetensors(sorted(resolved.path.glob("*.safetensors"))):  # before the base loads
        raise damaged_model_error(resolved.path, problem)
    base_spec = adapter_base(resolved.path)
    # Each load_model of a base loaded the next one round the circle, until a RecursionError
    if cycle := adapter_cycle(resolved.path):
        raise ModelNotFoundError(
            f"the LoRA adapter {resolved.path} was trained on {base_spec!r} (base_model_name_or_path in its "
            f"adapter_config.json), and the bases go round in a circle ({' -> '.join(map(str, cycle))}): an adapter "
            "saved over its own base, or the field edited. Point that field at the model it was trained on"
        )
    try:
        base_resolved = resolve_spec(base_spec)  # cheap: a base that is not there is named first
    except ModelNotFoundError as error:
        raise adapter_base_error(resolved.path, base_spec, error) from None
    # Before the base loads: an 8B base took a minute to load before the missing file was named
    if not any(
        (resolved.path / name).is_file() for name in ("adapter_model.safetensors", "adapter_model.bin")
    ):
        raise ModelNotFoundError(
            f"the LoRA adapter folder {resolved.path} has no adapter_model.safetensors: save the "
            "adapter again (model.save_pretrained(folder)), or copy the whole folder"
        )
    try:
        base = load_model(
            base_resolved, trust_remote_code=trust_remote_code, merge_adapter=True, dtype=dtype
        )  # an adapter on an adapter
    except ModelNotFoundError as error:
        raise adapter_base_error(resolved.path, base_spec, error) from None
    # peft loads an adapter of fewer layers without a word: a prune: student's adapter on its full-depth teacher. A
    # warning, not an error: an adapter listing every linear module of its first layers by name looks the same.
    if problem := adapter_layers_problem(resolved.path, base.model):
        log.warning(
            "the LoRA adapter %s may not fit its base %r (base_model_name_or_path in its adapter_config.json): %s. If "
            "so, point that field at the model it was trained on, or load the model it was merged into (a stage's "
            "model/ beside its adapter/)",
            resolved.path,
            base_spec,
            problem,
        )
    from peft import PeftModel

    try:
        model = PeftModel.from_pretrained(base.model, resolved.path)
    except (
        RuntimeError,
        ValueError,
        KeyError,
    ) as error:  # the adapter's shapes or target modules do not fit the base
        raise ModelNotFoundError(
            f"the LoRA adapter {resolved.path} does not fit its base {base_spec!r} (base_model_name_or_path in its "
            f"adapter_config.json): {' '.join(str(error).split())[:200]}. Point that field at the model it was trained on"
        ) from None
    # peft keeps a missing LoRA tensor at its initial value, with a warning only
    if problem := adapter_tensors_problem(model, resolved.path):
        raise damaged_model_error(resolved.path, problem)
    if merge:
        model = model.merge_and_unload().requires_grad_(
            True
        )  # peft froze the base; trainable, as any loaded model
        # An adapter trained on these weights records them as its base: this folder, not the base without it.
        model.name_or_path = model.config._name_or_path = str(resolved.path.resolve())
    tokenizer = base.tokenizer
    if (resolved.path / "tokenizer.json").is_file():
        try:
            tokenizer = load_tokenizer(resolved.path, trust_remote_code)
        except (OSError, ValueError) as error:  # a tokenizer.json cut short: JSONDecodeError
            if refusal := custom_tokenizer_refusal(
                resolved.path, error, trust_remote_code
            ):  # was "a save cut short"
                raise refusal from None
            problem = f"its tokenizer does not load ({' '.join(str(error).split())[:200]})"
            raise damaged_model_error(resolved.path, problem) from None
    return LoadedModel(model, tokenizer, resolved, str(resolved.path), {"base": base_spec, **base.info})


def adapter_base_error(folder: Path, base_spec: str, error: ModelNotFoundError) -> ModelNotFoundError:
    """Say where the base's name came from: the user gave the adapter, not the base."""
    fix = "Point that field at a local copy of the base model"
    base = Path(base_spec)
    # An adapter trained on the embedded model records its cache folder, which another machine or SAFEALIGN_HOME lacks
    if base.name in EMBEDDED_MODELS and base.parent.name == "models" and base.is_absolute():
        fix = (
            f"That is the embedded model's cache on the machine it was trained on: set that field to "
            f"'embedded:{base.name}'"
        )
    return ModelNotFoundError(
        f"the LoRA adapter {folder} was trained on {base_spec!r} (base_model_name_or_path in its "
        f"adapter_config.json), which does not load here: {error}. {fix}"
    )


def adapter_cycle(folder: Path) -> list[Path] | None:
    """The adapter folders from ``folder`` back to itself when following each one's base_model_name_or_path comes
    back to one already passed, else None (the chain ends at a model, or at a spec load_model reports)."""
    chain = [folder.resolve()]
    while True:
        try:
            base = resolve_spec(adapter_base(chain[-1]))
        except ModelNotFoundError:
            return None
        if base.kind != "lora_adapter" or base.path is None:
            return None
        chain.append(base.path.resolve())
        if chain[-1] in chain[:-1]:
            return chain


LAYER_INDEX = re.compile(r"\.layers\.(\d+)\.")


def saved_adapter_keys(folder: Path) -> set[str]:
    """The tensor names in ``folder``'s adapter weights: read from the safetensors header only, so a large adapter is
    not read in full again before peft loads it (a ``.bin`` adapter has no header: it is loaded)."""
    from safetensors import safe_open

    weights = folder / "adapter_model.safetensors"
    if weights.is_file():
        with safe_open(str(weights), framework="pt") as handle:
            return set(handle.keys())
    from peft.utils import load_peft_weights

    return set(load_peft_weights(str(folder), device="cpu"))


def all_linear_depth(targets: list[str], base: Any) -> int | None:
    """``k`` when ``targets`` is what peft writes for ``target_modules="all-linear"`` on a ``k``-layer model of
    ``base``'s kind (every linear module of layers 0..k-1 by its full name), else None."""
    import torch

    def per_layer(names: Iterable[str]) -> dict[int, set[str]]:
        layers: dict[int, set[str]] = {}
        for name in names:
            if match := LAYER_INDEX.search(name):
                layers.setdefault(int(match.group(1)), set()).add(name[match.end() :])
        return layers

    listed = per_layer(targets)
    linear = per_layer(name for name, module in base.named_modules() if isinstance(module, torch.nn.Linear))
    if not all(LAYER_INDEX.search(name) for name in targets) or sorted(listed) != list(range(len(listed))):
        return None
    return len(listed) if 0 in linear and all(names == linear[0] for names in listed.values()) else None


def adapter_layers_problem(folder: Path, base: Any) -> str | None:
    """Why the layers the LoRA weights in ``folder`` adapt do not fit ``base``'s ``num_hidden_layers``, else None.

    The weights should reach as deep as the adapter_config.json's targets (``target_modules``, ``layers_to_transform``)
    match on ``base``: an adapter restricted to some layers on purpose is fine. One whose weights stop short was most
    likely trained on a shallower model (a pruned student): on a 30-layer base an adapter of layers 0..14 leaves half
    the layers as they were. peft writes ``"all-linear"`` as every linear module of each layer by name (its
    ``exclude_modules`` too), so such a list asks for every layer of the base that ``exclude_modules`` leaves.
    """
    from types import SimpleNamespace

    from peft.tuners.tuners_utils import check_target_module_exists
    from torch.nn import Linear

    layers = getattr(base.config, "num_hidden_layers", None)
    if not isinstance(layers, int):
        return None
    config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    indices = {
        int(match.group(1)) for key in saved_adapter_keys(folder) if (match := LAYER_INDEX.search(key))
    }
    if not indices:
        return None
    targets = config.get("target_modules")
    if config.get("layers_to_transform") is None and (
        targets == "all-linear" or (isinstance(targets, list) and all_linear_depth(targets, base))
    ):  # every linear module of this base, less its exclude_modules (peft's list names them too)
        config = config | {
            "target_modules": [name for name, module in base.named_modules() if isinstance(module, Linear)]
        }
    # the layers peft's own matching adapts on this base
    matcher = SimpleNamespace(
        **{"target_parameters": None, "layers_to_transform": None, "layers_pattern": None} | config
    )
    targeted = {
        int(match.group(1))
        for name, _ in base.named_modules()
        if (match := LAYER_INDEX.search(name)) and check_target_module_exists(matcher, name)
    }
    reach = max(targeted) + 1 if targeted else layers
    if max(indices) + 1 >= reach and max(indices) < layers:
        return None
    wanted = (
        f"{layers} (num_hidden_layers)"
        if reach == layers
        else f"{layers}, {reach} of them targeted in its config"
    )
    return (
        f"its weights adapt {max(indices) + 1} layers (layers.0 to layers.{max(indices)}) but the base has {wanted}: "
        "it was trained on a model of that depth (a pruned student) or lost layers"
    )


def adapter_tensors_problem(model: Any, folder: Path) -> str | None:
    """Why the LoRA tensors in ``folder``'s weights do not make the adapter its adapter_config.json describes, else
    None: tensors of a targeted module missing (a dropped tensor, a target added to the config), or tensors of a module
    the config does not target (peft skips them)."""
    from peft import get_peft_model_state_dict

    # The names save_pretrained writes; save_embedding_layers=False: "auto" looks the base up on the Hub.
    written = get_peft_model_state_dict(model, save_embedding_layers=False)
    expected = {key for key in written if "lora_" in key}
    saved = {key for key in saved_adapter_keys(folder) if "lora_" in key}
    problems = []
    if missing := expected - saved:
        problems.append(f"missing from its weights: {first_keys(missing)}")
    if unexpected := saved - expected:
        problems.append(f"for modules its adapter_config.json does not target: {first_keys(unexpected)}")
    if not problems:
        return None
    return f"its LoRA tensors do not match its adapter_config.json: {'; '.join(problems)}"
