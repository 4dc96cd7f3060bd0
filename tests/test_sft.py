from __future__ import annotations

import json
import time

import pytest
from transformers import TrainerCallback

from safealign.config import SFTConfig
from safealign.errors import DataError
from safealign.runs import last_checkpoint, read_json
from safealign.stages.sft import run_sft
from safealign.training.callbacks import NanLossError


def write_memorisation_set(path, n=6):
    rows = [
        {
            "id": f"m{i}",
            "kind": "benign",
            "messages": [
                {"role": "user", "content": f"Say the code word number {i}."},
                {"role": "assistant", "content": f"The code word is banana {i}."},
            ],
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def config(data, **overrides):
    base = dict(
        datasets={str(data): 1.0},
        method="full",
        learning_rate=3e-2,
        max_steps=12,
        batch_size=3,
        save_steps=4,
        logging_steps=1,
        warmup_ratio=0.0,
        lr_scheduler="constant",
        max_length=64,
    )
    return SFTConfig(**(base | overrides))


def losses(stage_dir):
    return [
        json.loads(line)
        for line in (stage_dir / "metrics.jsonl").read_text().splitlines()
        if '"loss"' in line
    ]


def test_sft_lowers_loss_and_records_provenance(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    seen_cache_flags = []

    class RecordCacheFlag(TrainerCallback):
        def on_step_begin(self, args, state, control, model=None, **kwargs):
            seen_cache_flags.append(model.config.use_cache)

    result = run_sft(config(data), "tiny", tmp_path / "sft", precision="fp32", callbacks=[RecordCacheFlag()])
    assert set(seen_cache_flags) == {
        False
    }  # padding-free: no KV cache in training forwards (it hides the boundaries)
    assert json.loads((result.model_path / "config.json").read_text()).get("use_cache", True) is True
    logged = losses(tmp_path / "sft")
    assert logged[-1]["loss"] < 0.7 * logged[0]["loss"]
    assert (result.model_path / "model.safetensors").is_file()
    # Trainer's pickled arguments are no part of the model; the checkpoints --resume reads keep theirs
    assert not (result.model_path / "training_args.bin").exists()
    assert (last_checkpoint(tmp_path / "sft") / "training_args.bin").is_file()
    stage = read_json(tmp_path / "sft" / "stage.json")
    assert (
        stage["metrics"]["steps"] == 12
        and stage["metrics"]["tokens"] > 0
        and stage["metrics"]["padding_free"] is True
    )
    assert (
        0 < stage["metrics"]["shared_prefix_tokens"] < stage["metrics"]["tokens"]
    )  # the system message, once per batch
    mixture = read_json(tmp_path / "sft" / "data_mixture.json")
    assert mixture["rows"] == 6 and len(mixture["sources"][0]["sha256"]) == 64


def test_lora_sft_writes_merged_model_and_adapter(tmp_path, tiny):
    import torch

    from safealign.models import load_model

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    result = run_sft(
        config(data, method="lora", max_steps=3, learning_rate=1e-2),
        "tiny",
        tmp_path / "sft",
        precision="fp32",
    )
    assert (tmp_path / "sft" / "adapter" / "adapter_config.json").is_file()
    assert (result.model_path / "config.json").is_file()
    assert not (tmp_path / "sft" / "adapter" / "training_args.bin").exists()
    # the adapter's update is merged into the saved model, not dropped with the adapter (the base's weights)
    ids = torch.tensor([tiny.tokenizer("Say the code word number 1.")["input_ids"]])
    with torch.no_grad():
        merged, base = load_model(str(result.model_path)).model(ids).logits, tiny.model(ids).logits
    assert (merged - base).abs().max() > 1e-3


def test_a_lora_adapter_names_its_parent_folder_by_an_absolute_path(tmp_path, tiny, monkeypatch):
    """A parent given relative to the working folder (a recipe's output_dir "runs") was written as is into
    adapter_config.json, which peft and safealign read from the working folder: from anywhere else it named nothing."""
    from safealign.models import load_model

    tiny.model.save_pretrained(tmp_path / "base")
    tiny.tokenizer.save_pretrained(tmp_path / "base")
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    monkeypatch.chdir(tmp_path)
    run_sft(config(data, method="lora", max_steps=1), "base", tmp_path / "sft", precision="fp32")
    adapter = tmp_path / "sft" / "adapter"
    base = read_json(adapter / "adapter_config.json")["base_model_name_or_path"]
    assert base == str((tmp_path / "base").resolve()) and (tmp_path / "base" / "config.json").is_file()
    monkeypatch.chdir(adapter)  # elsewhere: the adapter still finds its parent
    assert load_model(str(adapter)).model.peft_config["default"].base_model_name_or_path == base


class CrashAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated crash")


def test_resume_continues_from_saved_step(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    stage_dir = tmp_path / "sft"
    with pytest.raises(KeyboardInterrupt):
        run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32", callbacks=[CrashAt(6)])
    assert last_checkpoint(stage_dir).name == "checkpoint-4"
    assert not (stage_dir / "stage.json").exists()
    assert [r["step"] for r in losses(stage_dir)] == [1, 2, 3, 4, 5], "step 5 was logged before the crash"
    resumed_at = time.time()
    run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32")
    resumed_steps = [r["step"] for r in losses(stage_dir) if r["time"] >= resumed_at]
    assert resumed_steps == [5, 6, 7, 8], resumed_steps
    assert [r["step"] for r in losses(stage_dir)] == list(range(1, 9)), (
        "each step once: those the crash undid were dropped"
    )
    record = read_json(stage_dir / "stage.json")
    assert record["inputs"]["resumed_from"].endswith("checkpoint-4")
    # the wall time is both sessions': the crashed one until its last logged step, and this one
    crashed_ran = record["earlier_sessions_s"][0]
    assert record["sessions"] == 2 and crashed_ran > 0
    assert record["wall_time_s"] == pytest.approx(record["finished_at"] - record["started_at"] + crashed_ran)


def test_sft_resumes_only_on_the_data_it_started_with(tmp_path):
    from safealign.errors import SafealignError

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    stage_dir = tmp_path / "sft"
    with pytest.raises(KeyboardInterrupt):
        run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32", callbacks=[CrashAt(5)])
    assert last_checkpoint(stage_dir).name == "checkpoint-4"
    data.write_text(data.read_text().replace("banana", "cherry"))  # edited or regenerated, same file name
    with pytest.raises(
        SafealignError,
        match=r"data_sha256\..*mem\.jsonl: '[0-9a-f]{64}' -> '[0-9a-f]{64}'.*would mix the two",
    ):
        run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32")


def test_keep_checkpoints_sets_how_many_saves_stay(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    run_sft(
        config(data, max_steps=8, save_steps=2, keep_checkpoints=3),
        "tiny",
        tmp_path / "sft",
        precision="fp32",
    )
    assert sorted(p.name for p in (tmp_path / "sft").glob("checkpoint-*")) == [
        "checkpoint-4",
        "checkpoint-6",
        "checkpoint-8",
    ]
    with pytest.raises(ValueError, match="keep_checkpoints"):
        config(data, keep_checkpoints=0)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")

    class PoisonAt(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step == 5:
                for p in model.parameters():
                    p.data.fill_(float("nan"))

    with pytest.raises(NanLossError, match="checkpoint-4"):
        run_sft(
            config(data, max_steps=10), "tiny", tmp_path / "sft", precision="fp32", callbacks=[PoisonAt()]
        )
    assert last_checkpoint(tmp_path / "sft").name == "checkpoint-4"
    assert not (tmp_path / "sft" / "stage.json").exists()


def test_bad_data_is_named(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        run_sft(config(empty), "tiny", tmp_path / "a", precision="fp32")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n{"prompt": "no messages"}\n'
    )
    with pytest.raises(DataError, match=r"broken.jsonl:2: field 'messages'"):
        run_sft(config(broken), "tiny", tmp_path / "b", precision="fp32")


def test_message_keys_besides_role_and_content_do_not_reach_the_dataset():
    """A "metadata" object on one row's turn and a string on another's passed data check, then crashed SFT and
    distill with ArrowInvalid in Dataset.from_list."""
    from datasets import Dataset

    from safealign.stages.sft import to_prompt_completion

    rows = [
        {
            "messages": [
                {"role": "user", "content": "Basil tip?", "metadata": {"source": "forum"}},
                {"role": "assistant", "content": "Water it when dry."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "Green tea?", "metadata": "web"},
                {"role": "assistant", "content": "Two minutes.", "name": "bot"},
            ]
        },
    ]
    dataset = Dataset.from_list(to_prompt_completion(rows, "Be safe."))
    assert dataset[1] == {
        "prompt": [{"role": "system", "content": "Be safe."}, {"role": "user", "content": "Green tea?"}],
        "completion": [{"role": "assistant", "content": "Two minutes."}],
    }
    assert rows[0]["messages"][0]["metadata"] == {
        "source": "forum"
    }  # the rows themselves are left as they were


def test_padding_free_batches_give_the_padded_loss(tmp_path, caplog):
    """One concatenated sequence with restarting position ids = a padded batch: same loss, no pad tokens."""
    import torch
    from datasets import Dataset
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from safealign.models import load_model
    from safealign.stages.sft import to_prompt_completion, use_padding_free

    loaded = load_model("tiny")
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Hi " * (3 + 5 * i)},
                {"role": "assistant", "content": f"Answer {i} " * (2 + i)},
            ]
        }
        for i in range(4)
    ]
    examples = []
    for row in to_prompt_completion(rows, None):
        prompt = loaded.tokenizer.apply_chat_template(
            row["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True
        )["input_ids"]
        full = loaded.tokenizer.apply_chat_template(
            [*row["prompt"], *row["completion"]], tokenize=True, return_dict=True
        )["input_ids"]
        examples.append(
            {"input_ids": full, "labels": [-100] * len(prompt) + full[len(prompt) :]}
        )  # loss on the answer
    losses_by_mode = {}
    for padding_free in (False, True):
        collate = DataCollatorForLanguageModeling(
            pad_token_id=loaded.tokenizer.pad_token_id, padding_free=padding_free
        )
        batch = collate(examples)
        assert ("attention_mask" in batch) is not padding_free and batch["input_ids"].shape[0] == (
            1 if padding_free else 4
        )
        keep = {
            k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "position_ids", "labels")
        }
        with (
            torch.no_grad()
        ):  # no KV cache, as run_sft trains: a cache hides the sequence boundaries from the mask
            losses_by_mode[padding_free] = loaded.model(**keep, use_cache=False).loss.item()
    assert losses_by_mode[True] == pytest.approx(losses_by_mode[False], rel=1e-4)

    dataset = Dataset.from_list(to_prompt_completion(rows, None))
    longest = max(len(e["input_ids"]) for e in examples)
    with caplog.at_level("WARNING", logger="safealign.stages.sft"):
        assert use_padding_free(SFTConfig(max_length=256), dataset, loaded.tokenizer) is True
        assert not caplog.records  # every row fits: nothing to warn about
        assert (
            use_padding_free(SFTConfig(max_length=256, padding_free=False), dataset, loaded.tokenizer)
            is False
        )
        assert (
            use_padding_free(SFTConfig(max_length=longest - 1), dataset, loaded.tokenizer) is False
        )  # padded, truncated
    # The truncation that follows is said, with how many rows lose text and the max_length that keeps them whole.
    assert len(caplog.records) == 1 and caplog.records[0].levelname == "WARNING"
    message = caplog.records[0].getMessage()
    assert (
        f"1 of 4 rows are longer than sft.max_length {longest - 1} (the longest has {longest} tokens)"
        in message
    )
    assert f"sft.max_length: {-(-longest // 32) * 32}" in message and "truncates" in message
    caplog.clear()  # packing cuts rows at max_length as well, and said nothing
    with caplog.at_level("WARNING", logger="safealign.stages.sft"):
        assert (
            use_padding_free(SFTConfig(max_length=longest - 1, packing=True), dataset, loaded.tokenizer)
            is False
        )
    assert (
        len(caplog.records) == 1
        and "1 of 4 rows are longer than sft.max_length" in caplog.records[0].getMessage()
    )


def test_frozen_embeddings_stay_equal_while_the_layers_train(tmp_path):
    from safetensors.torch import load_file

    from safealign.models import load_model

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    result = run_sft(
        config(data, max_steps=3, train_embeddings=False), "tiny", tmp_path / "sft", precision="fp32"
    )
    before = load_model("tiny").model.state_dict()
    after = load_file(result.model_path / "model.safetensors")
    embedding = "model.embed_tokens.weight"
    assert after[embedding].equal(before[embedding])
    changed = [name for name in after if name != embedding and not after[name].equal(before[name])]
    assert any("layers.0." in name for name in changed)


def test_freezing_covers_an_untied_output_head_and_skips_lora():
    from transformers import LlamaConfig, LlamaForCausalLM

    from safealign.training.common import apply_embedding_policy

    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=64,
            hidden_size=8,
            intermediate_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            tie_word_embeddings=False,
        )
    )
    assert apply_embedding_policy(model, "lora", train_embeddings=False) == 0  # LoRA never trains them anyway
    assert apply_embedding_policy(model, "full", train_embeddings=True) == 0
    assert apply_embedding_policy(model, "full", train_embeddings=False) == 2 * 64 * 8
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"model.embed_tokens.weight", "lm_head.weight"}


def test_frozen_bottom_layers_stay_equal_while_the_top_trains(tmp_path):
    from safetensors.torch import load_file

    from safealign.models import load_model

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    result = run_sft(
        config(data, max_steps=3, train_embeddings=False, freeze_layers=1),
        "tiny:2",
        tmp_path / "sft",
        precision="fp32",
    )
    before = load_model("tiny:2").model.state_dict()
    after = load_file(result.model_path / "model.safetensors")
    bottom = [name for name in after if "layers.0." in name]
    top = [name for name in after if "layers.1." in name]
    assert bottom and top
    assert all(after[name].equal(before[name]) for name in bottom)
    assert all(not after[name].equal(before[name]) for name in top if name.endswith("proj.weight"))


def test_freeze_layers_errors_name_the_fix():
    from pydantic import ValidationError

    from safealign.errors import RecipeError
    from safealign.models import load_model
    from safealign.training.common import freeze_bottom_layers

    with pytest.raises(ValidationError, match="freeze_layers applies to full fine-tuning"):
        SFTConfig(method="lora", freeze_layers=2)
    model = load_model("tiny:2").model
    with pytest.raises(RecipeError, match="has 2 decoder layers; choose fewer than 2"):
        freeze_bottom_layers(model, 2)
    assert freeze_bottom_layers(model, 0) == 0
    assert all(p.requires_grad for p in model.parameters())


def test_training_logs_print_as_concise_lines_without_deprecation_noise(tmp_path, capfd, recwarn):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    run_sft(config(data, max_steps=2, save_steps=10), "tiny", tmp_path / "sft", precision="fp32")
    out, err = capfd.readouterr()
    console = out + err  # tqdm.write prints to stdout
    assert "step 1/2: loss " in console and "step 2/2: loss " in console and "· tokens/s " in console
    assert "{'loss'" not in console  # the stock progress callback's raw dict
    assert not [w for w in recwarn if "gradient_checkpointing" in str(w.message)]
    assert losses(tmp_path / "sft"), "metrics.jsonl still gets every key"


def test_runs_without_a_progress_bar_print_concise_lines_too(capsys):
    from types import SimpleNamespace

    from transformers.trainer_callback import CallbackHandler, PrinterCallback

    from safealign.training.callbacks import ConcisePrinterCallback, use_concise_progress

    handler = CallbackHandler([PrinterCallback], None, None, None, None)  # what disable_tqdm=True leaves
    trainer = SimpleNamespace(pop_callback=handler.pop_callback, add_callback=handler.add_callback)
    use_concise_progress(trainer)
    [printer] = [cb for cb in handler.callbacks if isinstance(cb, PrinterCallback)]
    assert isinstance(printer, ConcisePrinterCallback)
    printer.on_log(
        None,
        SimpleNamespace(is_world_process_zero=True, global_step=3, max_steps=10),
        None,
        logs={"loss": 1.5},
    )
    assert capsys.readouterr().out == "step 3/10: loss 1.5\n"


def long_prompt_rows(n, words=120):
    """Rows whose prompt alone is longer than 64 tokens, with a short answer."""
    return [
        {
            "messages": [
                {"role": "user", "content": f"Question {i}: " + "word " * words},
                {"role": "assistant", "content": f"It is {i}."},
            ]
        }
        for i in range(n)
    ]


def prompt_and_row_lengths(tokenizer, examples):
    lengths = []
    for row in examples:
        prompt = tokenizer.apply_chat_template(
            row["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True
        )["input_ids"]
        full = tokenizer.apply_chat_template(
            [*row["prompt"], *row["completion"]], tokenize=True, return_dict=True
        )["input_ids"]
        lengths.append((len(prompt), len(full)))
    return lengths


def test_rows_whose_prompt_fills_max_length_are_said_to_be_dropped_not_truncated(tiny, caplog):
    """TRL drops a row whose prompt alone reaches max_length (no answer token left); it truncates a row whose answer runs over."""
    from datasets import Dataset

    from safealign.stages.sft import rows_fit, to_prompt_completion

    long_answer = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "answer " * 80}]
    }
    short = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo."}]}
    examples = to_prompt_completion([*long_prompt_rows(2), long_answer, short], None)
    lengths = prompt_and_row_lengths(tiny.tokenizer, examples)
    assert [p >= 64 for p, _ in lengths] == [True, True, False, False] and lengths[2][1] > 64 >= lengths[3][1]
    with caplog.at_level("WARNING", logger="safealign.stages.sft"):
        assert rows_fit(Dataset.from_list(examples), tiny.tokenizer, 64, "sft") is False
    [record] = caplog.records
    message = record.getMessage()
    longest_prompt = max(p for p, _ in lengths)
    assert (
        f"3 of 4 rows are longer than sft.max_length 64 (the longest has {max(f for _, f in lengths)} tokens)"
        in message
    )
    assert "training truncates 1, cutting the end of their answers" in message
    assert (
        f"TRL drops 2 whose prompt alone has 64 tokens or more (the longest prompt has {longest_prompt})"
        in message
    )
    caplog.clear()
    names = [
        "long.jsonl",
        "long.jsonl",
        "mix.jsonl",
        "mix.jsonl",
    ]  # each row's dataset, when the stage knows it
    with caplog.at_level("WARNING", logger="safealign.stages.sft"):
        rows_fit(Dataset.from_list(examples), tiny.tokenizer, 64, "sft", names)
    assert "TRL drops 2 (from long.jsonl) whose prompt alone" in caplog.records[0].getMessage()


def test_no_row_left_for_training_is_a_data_error_naming_the_dataset_and_the_length_needed(tiny):
    from datasets import Dataset

    from safealign.stages.sft import rows_fit, to_prompt_completion

    examples = to_prompt_completion(long_prompt_rows(3), "Be safe.")
    longest_prompt = max(p for p, _ in prompt_and_row_lengths(tiny.tokenizer, examples))
    with pytest.raises(
        DataError,
        match=rf"longest prompt has {longest_prompt} tokens.*raise sft.max_length to at least {longest_prompt + 1}",
    ):
        rows_fit(Dataset.from_list(examples), tiny.tokenizer, 64, "sft")
    with pytest.raises(DataError, match=r"of long.jsonl"):
        rows_fit(Dataset.from_list(examples), tiny.tokenizer, 64, "sft", ["long.jsonl"] * 3)
    assert (
        rows_fit(Dataset.from_list(examples), tiny.tokenizer, longest_prompt + 1, "sft") is False
    )  # one answer token each: kept


def test_sft_whose_prompts_all_fill_max_length_exits_with_the_fix_not_a_traceback(tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app

    data = tmp_path / "long.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in long_prompt_rows(4)) + "\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: L\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\n"
        f"sft: {{max_steps: 2, batch_size: 2, datasets: {{{data}: 1.0}}, max_length: 64}}\n"
    )
    result = CliRunner().invoke(app, ["sft", str(recipe)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # the error line may wrap
    assert (
        "long.jsonl" in output and "raise sft.max_length to at least" in output and "Traceback" not in output
    )


def test_a_dataset_given_a_weight_that_adds_no_rows_is_an_error(tmp_path):
    """0.05 of a 6-row file rounded to 0 rows, and an empty file at 1.0 added none: training went on without them."""
    from safealign.corpus.mixture import build_mixture

    mine = tmp_path / "mine.jsonl"
    row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}
    mine.write_text("".join(json.dumps(row) + "\n" for _ in range(6)))
    with pytest.raises(
        DataError,
        match=r"mine\.jsonl adds no rows to the mixture: 0\.05 of its 6 rows rounds to 0; give it at least 0\.167",
    ):
        build_mixture({"harmful_refusals": 0.1, str(mine): 0.05}, seed=0)
    assert len(build_mixture({str(mine): 0.17}, seed=0).rows) == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.jsonl adds no rows to the mixture: the file has no rows"):
        build_mixture({"harmful_refusals": 0.1, str(empty): 1.0}, seed=0)


def test_a_model_without_a_chat_template_is_one_line_before_training(
    tiny, no_template_model, tmp_path, caplog, monkeypatch
):
    """SFT crashed with a 90-line traceback from TRL; eval answered plain-text prompts without a word."""
    from safealign.errors import SafealignError
    from safealign.generation import GenerationEngine

    monkeypatch.setattr(tiny.tokenizer, "chat_template", None)
    with caplog.at_level("WARNING"):
        GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1)
    assert "has no chat template: prompts are given as plain text" in caplog.text
    with pytest.raises(
        SafealignError, match=r"sft: .*no_template's tokenizer has no chat template.*chat_template\.jinja"
    ):
        run_sft(SFTConfig(max_steps=1), str(no_template_model), tmp_path / "sft")


def test_a_misspelt_lora_target_module_is_named_with_the_models_layers(tiny):
    """peft failed with a traceback when no target matched, and skipped a misspelt one of several without a word."""
    from safealign.config.sections import LoraConfig
    from safealign.errors import SafealignError
    from safealign.training.common import peft_config

    assert peft_config(LoraConfig(target_modules=["q_proj", "v_proj"]), tiny.model).target_modules == {
        "q_proj",
        "v_proj",
    }
    with pytest.raises(
        SafealignError, match=r"\['qproj'\] name no module of this model; its linear layers are .*q_proj"
    ):
        peft_config(LoraConfig(target_modules=["q_proj", "qproj"]), tiny.model)


# Gemma's and Mistral's chat templates raise on a system turn
NO_SYSTEM_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_a_system_prompt_the_chat_template_refuses_is_named_before_training(tiny, tmp_path):
    """SFT and distill crashed with jinja2's TemplateError ("System role not supported") and a traceback."""
    folder = tmp_path / "no_system"
    tiny.model.save_pretrained(folder)
    template = tiny.tokenizer.chat_template
    try:
        tiny.tokenizer.chat_template = NO_SYSTEM_TEMPLATE
        tiny.tokenizer.save_pretrained(folder)
    finally:
        tiny.tokenizer.chat_template = template
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    stage_dir = tmp_path / "sft"
    with pytest.raises(
        DataError,
        match=r"System role not supported\. It takes no system turn, and model\.system_prompt adds one",
    ):
        run_sft(config(data), str(folder), stage_dir, system_prompt="Be safe.")
    assert not (stage_dir / "metrics.jsonl").exists() and last_checkpoint(stage_dir) is None


def test_a_row_the_chat_template_refuses_names_its_dataset_and_the_fix(tiny, monkeypatch):
    from datasets import Dataset
    from jinja2 import TemplateSyntaxError

    from safealign.stages.sft import rows_fit, to_prompt_completion

    monkeypatch.setattr(tiny.tokenizer, "chat_template", NO_SYSTEM_TEMPLATE)
    own = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Yo."},
        ]
    }
    dataset = Dataset.from_list(to_prompt_completion([own], "Be safe."))  # the row keeps its own system turn
    with pytest.raises(
        DataError, match=r"refuses a row of sys\.jsonl: System role not supported\. .*the row holds one: fold"
    ):
        rows_fit(dataset, tiny.tokenizer, 64, "distill", ["sys.jsonl"], "Be safe.")
    monkeypatch.setattr(tiny.tokenizer, "chat_template", "{{ raise_exception('Roles must alternate') }}")
    with pytest.raises(DataError, match=r"Roles must alternate\. Change the rows as it asks"):
        rows_fit(dataset, tiny.tokenizer, 64, "sft")
    monkeypatch.setattr(tiny.tokenizer, "chat_template", "{% for %}")
    with pytest.raises(TemplateSyntaxError):  # a broken template is not the data's fault
        rows_fit(dataset, tiny.tokenizer, 64, "sft")
