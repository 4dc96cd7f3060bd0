"""The one generation engine every stage uses (evaluation, rejection sampling, distillation, serving).

Prompts are chat-templated, sorted by length and cut into left-padded batches, so one batch holds
prompts of similar length and little compute goes to padding. Each sequence stops at its
end-of-turn token; a completion records its token counts and whether the length limit cut it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from safealign.chat_content import template_role
from safealign.decoding import StopStrings, decode_batch
from safealign.errors import DataError, SettingError
from safealign.precision import Precision, autocast, resolve_precision
from safealign.progress import progress_bar

log = logging.getLogger(__name__)
_WARNED_NO_TEMPLATE: set[str] = set()  # each tokenizer once a process (gates and evals build many engines)
_CHECKED_GENERATION_PROMPT: set[str] = set()  # the same, for a template without a generation prompt

Prompt = str | list[dict[str, str]]
SEED_RANGE = range(
    -(2**63), 2**64
)  # what torch.Generator.manual_seed takes: a signed or an unsigned 64-bit integer


@dataclass
class SamplingParams:
    """How to sample. ``temperature=0`` is greedy decoding, and so is any temperature below ``SAMPLING_EPS`` (1e-5).
    ``top_k`` 0 is off, and so is vLLM's -1 (read as 0); ``repetition_penalty`` 1.0 is off (an int is read as a float)."""

    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    num_samples: int = 1
    seed: int = 0
    stop: list[str] = field(default_factory=list)
    ignore_eos: bool = False  # generate exactly max_new_tokens (benchmarks), as in vLLM

    def __post_init__(self) -> None:
        self.max_new_tokens = _checked_count("max_new_tokens", self.max_new_tokens)
        # floats, as transformers wants them: it refused the int 2 and a numpy float32 temperature mid-generate
        temperature = _as_float(self.temperature)
        if not temperature >= 0 or temperature == math.inf:  # NaN fails every comparison
            raise SettingError(
                f"temperature must be a finite number >= 0 (0 = greedy), got {self.temperature!r}"
            )
        self.temperature = temperature
        top_p = _as_float(self.top_p)
        if not 0 < top_p <= 1:
            raise SettingError(f"top_p must be in (0, 1], got {self.top_p!r}")
        self.top_p = top_p
        if self.ignore_eos not in (True, False):  # the string "false" is true
            raise SettingError(f"ignore_eos must be true or false, got {self.ignore_eos!r}")
        self.ignore_eos = bool(self.ignore_eos)
        self.num_samples = _checked_count("num_samples", self.num_samples)
        self.top_k = _checked_top_k(self.top_k)
        self.repetition_penalty = _checked_repetition_penalty(self.repetition_penalty)
        self.seed = _checked_seed(self.seed)
        self.stop = _checked_stop(self.stop)


def _as_float(value: Any) -> float:
    """A real number as a float; anything else (None, a string, a bool) as NaN, which every range check refuses."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def _checked_count(name: str, value: Any) -> int:
    """A count as an int (a numpy integer too): a float such as 4.0 passed the ``>= 1`` check and then failed in
    ``range()`` mid-generate, after every prompt had been encoded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise SettingError(f"{name} must be >= 1 (a whole number), got {value!r}")
    return int(value)


def _checked_stop(stop: Any) -> list[str]:
    """``stop`` as a list: one string is one stop string, as vLLM reads it (iterated, "###" would be three stops at "#").
    An empty one is refused, as `safealign serve` refuses it: it is in every text, so every answer would come back empty."""
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, (list, tuple)) or not all(isinstance(s, str) for s in stops):
        raise SettingError(f"stop must be a string or a list of strings, got {stop!r}")
    if "" in stops:
        raise SettingError(
            "an empty stop string would end every answer before its first character; leave it out"
        )
    return list(stops)


def _checked_seed(seed: Any) -> int:
    """``seed`` as an int torch takes; a numpy integer is read as its int. Compared, not looked up in ``SEED_RANGE``:
    ``in`` on a range walks all 2**64 values for a float or a numpy integer."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not SEED_RANGE.start <= int(seed) < SEED_RANGE.stop
    ):
        raise SettingError(f"seed must be a 64-bit integer, from -2**63 to 2**64 - 1, got {seed!r}")
    return int(seed)


def _checked_top_k(top_k: Any) -> int:
    """``top_k`` as the engine reads it: 0 is off, and so is vLLM's -1 (as `safealign serve` reads it)."""
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < -1:
        raise SettingError(f"top_k must be a whole number >= 0 (0 or -1 = off), got {top_k!r}")
    return max(int(top_k), 0)


def _checked_repetition_penalty(penalty: Any) -> float:
    """A float, as transformers wants it (it refuses the int 2 mid-generate), finite and above 0."""
    try:
        value = float(penalty)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 < value < math.inf:  # NaN fails every comparison
        raise SettingError(
            f"repetition_penalty must be a finite number > 0 (1.0 = off, above 1 discourages repeats), got {penalty!r}"
        )
    return value


@dataclass
class Completion:
    """One generated answer; ``truncated`` is true when the length limit, not the model, ended it."""

    prompt_index: int
    sample_index: int
    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool
    token_ids: list[int] = field(default_factory=list, repr=False)
    meta: dict[str, Any] = field(default_factory=dict)  # how a wrapping generator chose it (the refusal vote)

    @property
    def finish_reason(self) -> str:
        return "length" if self.truncated else "stop"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self) | {"finish_reason": self.finish_reason}
        record.pop("token_ids")
        if not record["meta"]:
            record.pop("meta")
        return record


def context_window(model: Any) -> int | None:
    """The model's context length in tokens, when its config says (Llama-style or GPT-2-style field). A multimodal
    model's config (Gemma-3 4B's Gemma3Config) keeps it in its ``text_config`` alone."""
    config = getattr(model, "config", None)
    for source in (config, getattr(config, "text_config", None)):
        for name in ("max_position_embeddings", "n_positions"):
            if isinstance(value := getattr(source, name, None), int) and value > 0:
                return value
    return None


def as_messages(prompt: Prompt, system_prompt: str | None = None) -> list[dict[str, str]]:
    """The chat of ``prompt`` (a string is one user turn), a ``developer`` message as the system message, and
    ``system_prompt`` in front when the chat has no system message."""
    if isinstance(prompt, str):
        messages = [{"role": "user", "content": prompt}]
    else:
        messages = [{**m, "role": template_role(m["role"])} for m in prompt]
    if system_prompt and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": system_prompt}, *messages]
    return messages


class GenerationEngine:
    """Batched chat generation for one model.

    >>> engine = GenerationEngine(loaded.model, loaded.tokenizer)        # doctest: +SKIP
    >>> engine.generate(["What is 17 + 25?"], SamplingParams(max_new_tokens=32))[0].text  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        batch_size: int = 16,
        precision: Precision = "auto",
        system_prompt: str | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        # 8.0 passed the >= 1 check and failed in range() once every prompt was encoded; True was read as 1
        self.batch_size = _checked_count("batch_size", batch_size)
        self.system_prompt = system_prompt
        self.device = next(model.parameters()).device
        self.precision = resolve_precision(precision, self.device.type)
        self.stop_token_ids = self._stop_token_ids()
        self._warn_without_chat_template()

    def _warn_without_chat_template(self) -> None:
        name = getattr(self.tokenizer, "name_or_path", "") or "the model"
        if not getattr(self.tokenizer, "chat_template", None) and name not in _WARNED_NO_TEMPLATE:
            _WARNED_NO_TEMPLATE.add(name)
            log.warning(
                "%s's tokenizer has no chat template: prompts are given as plain text, as to a base model "
                "(an instruct model's answers would differ; its chat_template.jinja belongs in the folder)",
                name,
            )
        if getattr(self.tokenizer, "chat_template", None) and name not in _CHECKED_GENERATION_PROMPT:
            _CHECKED_GENERATION_PROMPT.add(name)
            if not self._has_generation_prompt():
                log.warning(
                    "%s's chat template writes no assistant header for add_generation_prompt: each prompt ends with "
                    "the user's turn, so the model may go on writing it instead of answering; the template should end "
                    "with {%% if add_generation_prompt %%}...{%% endif %%}, as the model's original chat_template.jinja does",
                    name,
                )

    def _has_generation_prompt(self) -> bool:
        """Whether the chat template adds anything for ``add_generation_prompt`` (one that cannot render a lone user
        turn is taken as having one: the prompts themselves then say what it refuses)."""
        probe = [{"role": "user", "content": "Hi"}]
        try:
            texts = [
                self.tokenizer.apply_chat_template(probe, add_generation_prompt=flag, tokenize=False)
                for flag in (True, False)
            ]
        except Exception:  # noqa: BLE001 - a template's own refusal, reported when a prompt is encoded
            return True
        return texts[0] != texts[1]

    def _stop_token_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id}
        # The model's own end tokens, which `generate` stops at too: Gemma's <end_of_turn> and Llama-3.1's <|eom_id|>
        # are in generation_config.eos_token_id (an int or a list), not the tokenizer's eos; missed, such a model's
        # answer runs on past its turn to the length limit.
        config = getattr(getattr(self, "model", None), "generation_config", None)
        config_eos = getattr(config, "eos_token_id", None)
        ids.update(config_eos if isinstance(config_eos, (list, tuple)) else [config_eos])
        for token in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>"):
            token_id = self.tokenizer.convert_tokens_to_ids(token)
            # a token the vocabulary lacks comes back as unk's id; SmolLM2's unk is <|endoftext|> itself, a real end
            if isinstance(token_id, int) and self.tokenizer.convert_ids_to_tokens(token_id) == token:
                ids.add(token_id)
        return sorted(i for i in ids if isinstance(i, int))

    def encode(self, prompt: Prompt) -> list[int]:
        """Token ids of a prompt with the chat template and the assistant header applied.

        A conversation the chat template refuses (Gemma's takes no system message) is a DataError with the template's reason.
        """
        messages = as_messages(prompt, self.system_prompt)
        if getattr(self.tokenizer, "chat_template", None):
            ids = self._apply_chat_template(messages, tokenize=True)
            return list(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)
        return self.tokenizer(self._plain_text(messages), add_special_tokens=True)["input_ids"]

    def prompt_text(self, prompt: Prompt) -> str:
        """The text ``encode`` tokenizes (without a base model's special tokens): a cheap bound on a prompt's length, as
        rendering a template takes milliseconds where tokenizing a megabyte takes seconds."""
        messages = as_messages(prompt, self.system_prompt)
        if getattr(self.tokenizer, "chat_template", None):
            return self._apply_chat_template(messages, tokenize=False)
        return self._plain_text(messages)

    @staticmethod
    def _plain_text(messages: list[dict[str, str]]) -> str:
        return "\n".join(m["content"] for m in messages) + "\n"

    def _apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool) -> Any:
        # transformers renders chat templates with jinja2; raise_exception(...) in a template raises its TemplateError
        from jinja2 import TemplateError, TemplateSyntaxError

        try:
            return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=tokenize)
        except TemplateSyntaxError:  # a broken template, not a refused conversation
            raise
        except (
            TemplateError
        ) as error:  # Gemma's "System role not supported", "Conversation roles must alternate ..."
            raise DataError(
                f"the model's chat template refuses this conversation: {error.message or error}. Change the messages as "
                "it asks (e.g. fold the system message into the first user turn, alternate user and assistant turns); "
                "a system prompt the engine adds (--system-prompt, or the one the model was trained with) counts too"
            ) from None

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: SamplingParams | None = None,
        show_progress: bool = False,
        on_batch: Callable[[list[Completion]], None] | None = None,
        cancelled: Callable[[int], bool] | None = None,
    ) -> list[Completion]:
        """Complete every prompt ``params.num_samples`` times; results come back in prompt order.

        ``cancelled(prompt_index)``, asked at every decoding step, gives a prompt up: its answers stop where they are.
        """
        params = params or SamplingParams()
        # A string is a sequence of one-character prompts, and one chat a sequence of messages: both ran without a word
        # (a question came back as one answer per character) or failed deep in the chat template.
        if isinstance(prompts, str) or (prompts and isinstance(prompts[0], dict)):
            raise SettingError(
                f"generate takes a list of prompts, got {'a string' if isinstance(prompts, str) else 'one chat'} "
                f"({prompts!r:.60}); wrap one prompt or one chat in a list: generate([prompt])"
            )
        encoded = [self.encode(p) for p in prompts]
        jobs = [(i, s) for i in range(len(prompts)) for s in range(params.num_samples)]
        # Longest first: the slowest batch runs while the bar is fresh, and memory peaks early.
        jobs.sort(key=lambda job: (-len(encoded[job[0]]), job))
        results: list[Completion] = []
        with progress_bar(len(jobs), "generating", show_progress) as advance:
            for start in range(0, len(jobs), self.batch_size):
                batch = jobs[start : start + self.batch_size]
                completions = self._generate_batch(
                    batch,
                    encoded,
                    params,
                    batch_seed=seed_of_batch(params.seed, start),
                    on_finished=advance,
                    cancelled=cancelled,
                )
                results.extend(completions)
                if on_batch:
                    on_batch(completions)
        results.sort(key=lambda c: (c.prompt_index, c.sample_index))
        return results

    def _generate_batch(
        self,
        batch,
        encoded,
        params: SamplingParams,
        batch_seed: int,
        on_finished: Callable[[int], None] | None = None,
        cancelled: Callable[[int], bool] | None = None,
    ) -> list[Completion]:
        import torch

        pad_id = (
            self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_token_ids[0]
        )
        width = max(len(encoded[i]) for i, _ in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (i, _) in enumerate(batch):
            ids = encoded[i]
            input_ids[row, width - len(ids) :] = torch.tensor(ids)
            attention[row, width - len(ids) :] = 1
        generator = torch.Generator(device=self.device).manual_seed(batch_seed)
        with torch.inference_mode(), autocast(self.precision, self.device.type):
            new_tokens = decode_batch(
                self.model,
                input_ids.to(self.device),
                attention.to(self.device),
                max_new_tokens=params.max_new_tokens,
                stop_token_ids=self.stop_token_ids,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                repetition_penalty=params.repetition_penalty,
                stop_strings=StopStrings(self.tokenizer, params.stop) if params.stop else None,
                ignore_eos=params.ignore_eos,
                generator=generator,
                on_finished=on_finished,
                cancelled=(lambda row: cancelled(batch[row][0])) if cancelled else None,
            )
        return [
            self._completion(job, encoded, tokens, params)
            for job, tokens in zip(batch, new_tokens, strict=True)
        ]

    def _completion(self, job, encoded, tokens: list[int], params: SamplingParams) -> Completion:
        prompt_index, sample_index = job
        stop_at = (
            None
            if params.ignore_eos
            else next((k for k, t in enumerate(tokens) if t in self.stop_token_ids), None)
        )
        kept = tokens if stop_at is None else tokens[:stop_at]
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        hit_stop_string = False
        for stop in params.stop:
            if stop in text:
                text, hit_stop_string = text[: text.index(stop)], True
        truncated = stop_at is None and not hit_stop_string and len(tokens) >= params.max_new_tokens
        if truncated:
            # The limit can fall between the tokens of one character (SmolLM2 writes 你 as two byte tokens, an emoji as
            # up to four): its first bytes decode to a U+FFFD the model never wrote. vLLM's detokenizer holds them back.
            text = text.removesuffix("\ufffd")
        return Completion(
            prompt_index=prompt_index,
            sample_index=sample_index,
            text=text.strip(),
            prompt_tokens=len(encoded[prompt_index]),
            completion_tokens=len(kept) + (0 if stop_at is None else 1),
            truncated=truncated,
            token_ids=kept,
        )


def seed_of_batch(seed: int, start: int) -> int:
    """The seed of the batch whose first job is ``start``, as torch takes it (wrapped to 0..2**64 - 1, as torch wraps a
    negative seed). The first batch uses ``seed`` itself, as ``torch.manual_seed(seed)`` before ``generate`` would; a
    later one a hash of both, not ``seed + start``: with that, --seed 1's batches were --seed 0's shifted by one, so at
    --batch-size 1 three of four samples of a prompt came back the same under the two seeds."""
    if start == 0:
        return seed % 2**64
    digest = hashlib.blake2b(f"{seed}:{start}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def check_prompts(
    engine: GenerationEngine,
    labelled: Sequence[tuple[str, Prompt]],
    max_new_tokens: int,
    setting: str = "--max-new-tokens",
) -> None:
    """Encode every prompt before generating any: one the chat template refuses, or one that leaves too little room for
    ``max_new_tokens`` in the model's context window, is an error naming it by its label. `generate` and `eval` call it;
    `serve` answers such a request with a 400 for the same reason: past the window, rotary models answer garbage and
    models with learned positions fail mid-run, after the earlier batches' work. ``setting``: where the user sets
    ``max_new_tokens`` (a recipe's ``eval.max_new_tokens``), which the error names."""
    longest, longest_label = 0, ""
    for label, prompt in labelled:
        try:
            tokens = len(engine.encode(prompt))
        except DataError as error:
            raise DataError(f"{label}: {error}") from None
        if tokens > longest:
            longest, longest_label = tokens, label
    window = context_window(engine.model)
    if window is not None and longest + max_new_tokens > window:
        room = window - longest
        fix = f"lower {setting} to {room} or shorten the prompt" if room >= 1 else "shorten the prompt"
        raise DataError(
            f"{longest_label}: the prompt is {longest} tokens, which with {setting} {max_new_tokens} is above "
            f"the model's context window of {window} tokens; {fix}"
        )
