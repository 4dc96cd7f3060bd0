from __future__ import annotations

import subprocess
import sys

import pytest

from safealign.generation import GenerationEngine, SamplingParams

PROMPTS = [
    "hi",
    "What is 17 + 25? Explain each step carefully please.",
    "a b c d e f g",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me a fact."}],
    "One more prompt of middling length here.",
]


def test_batched_equals_one_by_one_under_greedy(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=3, precision="fp32")
    params = SamplingParams(max_new_tokens=10)
    batched = engine.generate(PROMPTS, params)
    single = [engine.generate([p], params)[0] for p in PROMPTS]
    assert [c.prompt_index for c in batched] == list(range(len(PROMPTS)))
    assert [c.text for c in batched] == [c.text for c in single]
    assert len({c.text for c in batched}) > 1, "tiny model should answer prompts differently"


def test_records_tokens_and_truncation(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    out = engine.generate(PROMPTS[:2], SamplingParams(max_new_tokens=6))
    for c in out:
        assert c.prompt_tokens == len(engine.encode(PROMPTS[c.prompt_index]))
        assert c.completion_tokens <= 6
        assert c.truncated == (c.completion_tokens == 6)
        assert c.to_dict()["finish_reason"] in ("stop", "length")


def test_each_sequence_stops_at_its_own_end_token(tiny):
    """Declare prompt 0's first greedy token an end-of-turn token: that row stops at once, the rest go on."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    params = SamplingParams(max_new_tokens=8)
    before = engine.generate(PROMPTS, params)
    first = before[0].token_ids[0]
    engine.stop_token_ids = [*engine.stop_token_ids, first]
    after = engine.generate(PROMPTS, params)
    assert after[0].text == "" and after[0].completion_tokens == 1 and not after[0].truncated
    for old, new in zip(before[1:], after[1:], strict=True):
        if first not in old.token_ids:
            assert new.text == old.text and new.truncated == old.truncated


def test_stop_strings_cut_text(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=2, precision="fp32")
    full = engine.generate(["a b c d e f g"], SamplingParams(max_new_tokens=12))[0].text
    cut_word = full.split()[1] if len(full.split()) > 1 else full[2:5]
    out = engine.generate(["a b c d e f g"], SamplingParams(max_new_tokens=12, stop=[cut_word]))[0]
    assert cut_word not in out.text
    assert not out.truncated


def test_sampling_is_seeded(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    params = SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=5)
    a = engine.generate(PROMPTS[:2], params)
    b = engine.generate(PROMPTS[:2], params)
    assert [c.text for c in a] == [c.text for c in b]
    assert len(a) == 6 and {c.sample_index for c in a} == {0, 1, 2}
    other = engine.generate(
        PROMPTS[:2], SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=6)
    )
    assert [c.text for c in a] != [c.text for c in other]


def test_bf16_matches_fp32_mostly(tiny):
    """bf16 autocast is a speed setting: on the tiny model greedy answers mostly agree with float32."""
    fp32 = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    bf16 = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="bf16")
    params = SamplingParams(max_new_tokens=4)
    a, b = fp32.generate(PROMPTS, params), bf16.generate(PROMPTS, params)
    first_tokens_agree = sum(x.text.split()[:1] == y.text.split()[:1] for x, y in zip(a, b, strict=True))
    assert first_tokens_agree >= len(PROMPTS) - 1


@pytest.mark.parametrize(
    "bad",
    [
        dict(max_new_tokens=0),
        dict(temperature=-1),
        dict(top_p=0),
        dict(num_samples=0),
        dict(repetition_penalty=0),
        dict(repetition_penalty=-1.0),
        dict(repetition_penalty=float("nan")),
        dict(repetition_penalty=float("inf")),
        dict(top_k=-2),
        dict(top_k=2.5),
    ],
)
def test_bad_sampling_params(bad):
    with pytest.raises(ValueError):
        SamplingParams(**bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(repetition_penalty=0.0), r"repetition_penalty must be a finite number > 0 \(1.0 = off"),
        (dict(top_k=-2), r"top_k must be a whole number >= 0 \(0 or -1 = off\)"),
        (dict(top_k="40"), "top_k must be a whole number"),
    ],
)
def test_a_bad_repetition_penalty_or_top_k_is_refused_before_generation_with_the_fix(bad, message):
    """They reached transformers, which failed mid-generate with its own wording."""
    from safealign.errors import SettingError

    with pytest.raises(SettingError, match=message):
        SamplingParams(**bad)


def test_an_int_repetition_penalty_and_vllm_top_k_off_generate(tiny):
    """transformers refused the int 2 ("has to be a strictly positive float") and top_k -1, vLLM's "off"."""
    params = SamplingParams(max_new_tokens=3, temperature=1.0, top_k=-1, repetition_penalty=2)
    assert (
        params.top_k == 0
        and params.repetition_penalty == 2.0
        and isinstance(params.repetition_penalty, float)
    )
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    assert engine.generate(["hi"], params)[0].completion_tokens >= 1


@pytest.mark.parametrize("temperature", [float("nan"), float("inf"), -0.5])
def test_a_temperature_that_is_not_a_finite_number_at_least_0_is_refused(temperature):
    from safealign.errors import SettingError

    with pytest.raises(SettingError, match="temperature must be a finite number >= 0"):
        SamplingParams(temperature=temperature)


STRICT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
)


def strict_template_engine(tiny) -> GenerationEngine:
    """The tiny model behind a Gemma-like chat template, which refuses a system message."""
    import copy

    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = STRICT_TEMPLATE + tokenizer.chat_template
    return GenerationEngine(tiny.model, tokenizer, batch_size=4, precision="fp32")


def test_a_conversation_the_chat_template_refuses_is_a_data_error_with_its_reason(tiny):
    """It was jinja2's TemplateError: a traceback in `generate`, a 500 "internal error: TemplateError" in `serve`."""
    from safealign.errors import DataError

    engine = strict_template_engine(tiny)
    with_system = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    for refused in (lambda: engine.encode(with_system), lambda: engine.prompt_text(with_system)):
        with pytest.raises(
            DataError, match="chat template refuses this conversation: System role not supported"
        ):
            refused()
    assert engine.encode("hi") == GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32").encode("hi")


def test_a_tiny_temperature_generates_the_greedy_answer(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    greedy = engine.generate(PROMPTS, SamplingParams(max_new_tokens=6))
    tiny_temperature = engine.generate(PROMPTS, SamplingParams(max_new_tokens=6, temperature=1e-40, seed=3))
    assert [c.text for c in tiny_temperature] == [c.text for c in greedy]


def test_a_seed_outside_64_bits_is_refused_and_the_largest_works_across_batches(tiny):
    """2**64 passed, then torch's manual_seed raised "Overflow when unpacking long long" once the model had loaded; and
    the second batch's seed (seed + its offset) overflowed from any seed near 2**64."""
    from safealign.errors import SettingError

    for seed in (2**64, -(2**63) - 1):
        with pytest.raises(SettingError, match="seed must be a 64-bit integer"):
            SamplingParams(seed=seed)
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1, precision="fp32")
    answers = engine.generate(PROMPTS[:2], SamplingParams(max_new_tokens=3, temperature=1.0, seed=2**64 - 1))
    assert len(answers) == 2


SEED_CHECK = """
import numpy as np
from safealign.errors import SettingError
from safealign.generation import SamplingParams
for seed in (7.0, 7.5, True):
    try:
        SamplingParams(seed=seed)
        print("accepted", repr(seed))
    except SettingError as error:
        print("refused", error)
params = SamplingParams(seed=np.int64(7))
print("numpy", type(params.seed).__name__, params.seed)
"""


def test_a_float_seed_is_refused_and_a_numpy_seed_read_as_int_without_hanging() -> None:
    """``seed not in range(-2**63, 2**64)`` walked all 2**64 values for a float or a numpy integer: SamplingParams(
    seed=7.0) never returned. Run apart, so a hang fails on the timeout instead of blocking the suite."""
    run = subprocess.run([sys.executable, "-c", SEED_CHECK], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(" got ")[-1] for line in lines[:3]] == ["7.0", "7.5", "True"]
    assert all(line.startswith("refused seed must be a 64-bit integer") for line in lines[:3]), lines
    assert lines[3] == "numpy int 7"


def test_generate_prints_prompts_and_answers_as_text_not_markup():
    """Rich read them as markup: "a[i]" lost "[i]", and "[/]" raised MarkupError after the generation."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    result = CliRunner().invoke(
        app, ["generate", "tiny", "-p", "a[i] [/] [bold]", "--max-new-tokens", "3", "--precision", "fp32"]
    )
    assert result.exit_code == 0, result.output
    assert "> a[i] [/] [bold]" in result.output


def test_generate_refuses_an_out_path_it_cannot_write_before_loading(tmp_path, monkeypatch):
    """It failed only after loading the model and generating every answer."""
    from typer.testing import CliRunner

    import safealign.models
    from safealign.cli.main import app

    def must_not_run(*args, **kwargs):
        raise AssertionError("loaded before --out was checked")

    monkeypatch.setattr(safealign.models, "load_model", must_not_run)
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(
        app, ["generate", "tiny", "-p", "hi", "--out", str(tmp_path / "file" / "out.jsonl")]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "is a file where a folder is needed" in said, result.output
    result = CliRunner().invoke(app, ["generate", "tiny", "-p", "hi", "--seed", str(2**64)])
    assert result.exit_code == 2 and "--seed" in result.output, result.output
    new_folder = tmp_path / "new" / "deeper" / "out.jsonl"
    result = CliRunner().invoke(app, ["generate", "tiny", "-p", "hi", "--out", str(new_folder)])
    # checked before loading; the folders made for the check are gone again when loading fails (review 67)
    assert "loaded before --out was checked" in str(result.exception)
    assert not (tmp_path / "new").exists()


def test_generate_names_a_prompt_the_chat_template_refuses(tiny, tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app

    folder = tmp_path / "strict"
    tiny.model.save_pretrained(folder)
    strict_template_engine(tiny).tokenizer.save_pretrained(folder)
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        '{"prompt": "hi"}\n{"messages": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": "hi"}]}\n'
    )
    result = CliRunner().invoke(
        app, ["generate", str(folder), "--prompts", str(prompts), "--precision", "fp32"]
    )
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 2
        and "p.jsonl:2: the model's chat template refuses this conversation: System role not supported"
        in said
    )
    assert "Traceback" not in result.output


def test_generate_refuses_prompts_that_do_not_fit_the_context_window_before_generating():
    """Like `serve`'s 400: past the tiny model's 2,048 positions it answered garbage (models with learned positions fail)."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    long = " ".join(["word"] * 1990)
    result = CliRunner().invoke(app, ["generate", "tiny", "-p", "hi", "-p", long, "--precision", "fp32"])
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 2
        and "--prompt 2: the prompt is" in said
        and "context window of 2048 tokens" in said
    ), said
    room = int(said.split("lower --max-new-tokens to ")[1].split()[0])
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "tiny",
            "-p",
            long,
            "--max-new-tokens",
            str(room),
            "--precision",
            "fp32",
            "--temperature",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["generate", "tiny", "-p", long + long, "--precision", "fp32"])
    assert result.exit_code == 2 and "shorten the prompt" in result.output


def test_a_developer_message_is_rendered_as_the_system_message_as_serve_does(tiny):
    """`generate` and `eval` rendered a developer turn, with the trained system prompt in front; `serve` a system turn."""
    from safealign.serve.protocol import validate_chat

    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32", system_prompt="SYS")
    chat = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    as_system = engine.prompt_text(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    )
    assert (
        engine.prompt_text(chat) == as_system == engine.prompt_text(validate_chat({"messages": chat}).chat())
    )
    assert "SYS" not in as_system


def test_endoftext_ends_an_answer_as_well_as_im_end(tiny):
    """SmolLM2's unk is <|endoftext|> (id 0): the check against unknown tokens dropped it from the end tokens."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    ends = [tiny.tokenizer.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_end|>")]
    assert engine.stop_token_ids == ends == [0, 2]
