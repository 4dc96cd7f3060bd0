from __future__ import annotations

import copy
import json

import pytest
import torch
from test_distill import arithmetic_traces_and_teacher

from safealign.config import DistillConfig
from safealign.models import load_model
from safealign.models.vocab_trim import (
    kept_token_ids,
    merge_pairs,
    trim_student,
    trim_vocabulary,
    trimmed_tokenizer,
)
from safealign.runs import read_json
from safealign.stages.distill import run_distill

CORPUS = [
    "The photosynthesis of chlorophyll-bearing cyanobacteria.",
    "Quelle est la capitale de l'Australie ?",
    "计算 17 乘以 23。",
]


@pytest.fixture(scope="module")
def tiny():
    return load_model("tiny:3")


def test_kept_ids_hold_the_prefix_the_specials_the_corpus_and_every_merge_part(tiny):
    tokenizer = tiny.tokenizer
    keep = kept_token_ids(tokenizer, CORPUS, 300)
    assert keep == sorted(set(keep)) and set(range(300)) <= set(keep)
    assert set(tokenizer.all_special_ids) <= set(keep)
    corpus_ids = {i for text in CORPUS for i in tokenizer(text, add_special_tokens=False)["input_ids"]}
    assert corpus_ids <= set(keep) and any(i >= 300 for i in corpus_ids), (
        "the corpus brings tokens beyond the prefix"
    )
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab, kept = data["model"]["vocab"], set(keep)
    built_by = {left + right: (left, right) for left, right in merge_pairs(data["model"])}
    for index in keep:
        token = tokenizer.convert_ids_to_tokens(index)
        assert all(vocab[part] in kept for part in built_by.get(token, ())), (
            f"{token!r} kept without its parts"
        )
    assert len(keep) < 2000, "a few hundred ids plus the corpus, not the whole vocabulary"
    with pytest.raises(ValueError, match="positive number"):
        kept_token_ids(tokenizer, CORPUS, 0)


def test_trimmed_tokenizer_encodes_its_corpus_like_the_teacher_and_anything_else_as_pieces(tiny):
    tokenizer = tiny.tokenizer
    keep = kept_token_ids(tokenizer, CORPUS, 300)
    trimmed = trimmed_tokenizer(tokenizer, keep)
    assert len(trimmed) == len(keep)
    for text in CORPUS:
        teacher_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert [keep[i] for i in trimmed(text, add_special_tokens=False)["input_ids"]] == teacher_ids
    unseen = "Mitochondria synthesize adenosine triphosphate."
    pieces = trimmed(unseen, add_special_tokens=False)["input_ids"]
    assert len(pieces) > len(tokenizer(unseen, add_special_tokens=False)["input_ids"]), (
        "dropped tokens fall back to their parts"
    )
    assert trimmed.decode(pieces) == unseen
    # Special tokens and the chat template carry over; the low ids (specials among them) keep their numbers.
    assert trimmed.eos_token == tokenizer.eos_token and trimmed.eos_token_id == tokenizer.eos_token_id
    chat = [{"role": "user", "content": CORPUS[1]}]
    rendered = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert trimmed.apply_chat_template(chat, add_generation_prompt=True, tokenize=False) == rendered
    assert trimmed(rendered, add_special_tokens=False)["input_ids"][0] == tokenizer.convert_tokens_to_ids(
        "<|im_start|>"
    )


def with_bos_post_processor(tokenizer, bos: str = "<|begin_of_text|>"):
    """``tokenizer`` with a Llama-3 style post-processor: a special BOS token, past the old vocabulary, before each text."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    data = json.loads(tokenizer.backend_tokenizer.to_str())
    bos_id = len(tokenizer)
    data["added_tokens"].append(
        {
            "id": bos_id,
            "content": bos,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
    )
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(data)), eos_token=tokenizer.eos_token
    )


def test_the_bos_a_post_processor_adds_is_renumbered(tiny):
    """The post-processor kept the teacher's BOS id (49152): the student's tokenizer began every text with an id past
    the end of its vocabulary."""
    teacher = with_bos_post_processor(tiny.tokenizer)
    keep = kept_token_ids(teacher, CORPUS, 300)
    trimmed = trimmed_tokenizer(teacher, keep)
    for text in CORPUS:
        ids = trimmed(text)["input_ids"]
        assert max(ids) < len(trimmed) and [keep[i] for i in ids] == teacher(text)["input_ids"]
        assert ids[0] == len(trimmed) - 1, "the BOS, the highest kept id"


def test_trimmed_model_gives_the_teacher_logits_at_the_kept_ids_and_survives_a_save(tiny, tmp_path):
    teacher = load_model("tiny:3").model.eval()
    student, tokenizer, keep = trim_student(load_model("tiny:3").model.eval(), tiny.tokenizer, CORPUS, 300)
    assert (
        student.config.vocab_size == len(keep)
        and student.get_output_embeddings().weight is student.get_input_embeddings().weight
    )
    assert sum(p.numel() for p in student.parameters()) < sum(p.numel() for p in teacher.parameters())
    ids = tokenizer(CORPUS[0], return_tensors="pt")["input_ids"]
    mapped = torch.tensor(keep)[ids]
    with torch.no_grad():
        assert torch.allclose(student(ids).logits, teacher(mapped).logits[..., keep], atol=1e-5)
    student.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded = load_model(str(tmp_path))
    assert len(reloaded.tokenizer) == len(keep) and reloaded.model.config.vocab_size == len(keep)
    with torch.no_grad():
        assert torch.allclose(reloaded.model(ids).logits, student(ids).logits, atol=1e-5)


def test_untied_heads_are_trimmed_row_for_row(tiny):
    model = load_model("tiny:3").model
    model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.lm_head.weight))
    head = model.lm_head.weight.detach().clone()
    keep = [0, 1, 2, 500, 900]
    trim_vocabulary(model, keep)
    assert (
        torch.equal(model.lm_head.weight, head[keep])
        and model.lm_head.weight is not model.get_input_embeddings().weight
    )


def test_distillation_into_a_trimmed_student_lowers_kd_loss_and_ships_its_tokenizer(tmp_path):
    rows, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    cfg = DistillConfig(
        student="prune:0.5",
        vocab_keep=300,
        mode="logit",
        learning_rate=1e-2,
        max_steps=15,
        batch_size=4,
        save_steps=50,
    )
    result = run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    logged = [
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if "kd_loss" in line
    ]
    assert logged[-1]["kd_loss"] < logged[0]["kd_loss"]
    stage = read_json(tmp_path / "distill" / "stage.json")
    size = stage["inputs"]["vocab_size"]
    assert 300 < size < 1000 and stage["metrics"]["mode"] == "logit"
    student = load_model(str(result.model_path))
    assert len(student.tokenizer) == size == student.model.config.vocab_size
    # The vocabulary is nearly all of a tiny model: trimming it shows in the ratio.
    assert stage["metrics"]["parameter_ratio"] < 0.1
    readme = (tmp_path / "distill" / "README.md").read_text()
    assert f"| student vocabulary (tokens; distill.vocab_keep) | {size:,} |" in readme


def test_the_teacher_reads_the_trimmed_students_tokens_as_its_own(tmp_path):
    # prune:0.99 of a 2-layer teacher keeps both layers: the student is the teacher with fewer tokens, so once the
    # teacher reads the same text and its logits are taken at the kept ids, the two distributions agree before any step.
    rows, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    cfg = DistillConfig(
        student="prune:0.99",
        vocab_keep=300,
        mode="logit",
        learning_rate=1e-9,
        max_steps=1,
        batch_size=4,
        save_steps=50,
    )
    run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    first = next(
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if "kd_loss" in line
    )
    assert first["kd_loss"] == pytest.approx(0.0, abs=1e-4)


def test_vocab_keep_needs_a_pruned_copy_of_the_teacher():
    with pytest.raises(ValueError, match="vocab_keep trims a prune:<fraction> copy"):
        DistillConfig(student="tiny:1", vocab_keep=16000)
    with pytest.raises(ValueError):
        DistillConfig(student="prune:0.5", vocab_keep=10)
    assert DistillConfig(student="prune:0.5", vocab_keep=16000).vocab_keep == 16000


def test_a_trimmed_student_resumes_from_its_checkpoint(tmp_path):
    # The kept vocabulary is rebuilt from the same transfer set on resume, so the checkpoint's smaller matrices fit it.
    rows, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    stage_dir = tmp_path / "distill"
    cfg = DistillConfig(
        student="prune:0.5", vocab_keep=300, mode="both", max_steps=4, batch_size=4, save_steps=2
    )
    run_distill(cfg, str(teacher_dir), traces, stage_dir, precision="fp32")
    (stage_dir / "stage.json").unlink()  # as if the run had died after its step-4 save
    logged_before = len((stage_dir / "metrics.jsonl").read_text().splitlines())
    run_distill(
        cfg.model_copy(update={"max_steps": 6}), str(teacher_dir), traces, stage_dir, precision="fp32"
    )
    new = [
        json.loads(line) for line in (stage_dir / "metrics.jsonl").read_text().splitlines()[logged_before:]
    ]
    steps = [r["step"] for r in new if "loss" in r or "kd_loss" in r]
    assert steps and min(steps) == 5, steps
    assert read_json(stage_dir / "stage.json")["metrics"]["steps"] == 6


def test_a_teachers_own_embedding_class_is_trimmed_not_replaced(tmp_path):
    """Gemma-3's embedding scales its rows by sqrt(hidden_size): trimming put a plain nn.Embedding in its place, so the
    trimmed student lost the scale (its logits were not the teacher's at the kept ids) while the saved student, rebuilt
    by from_pretrained with the scaled class, computed another model than the one distilled."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    config = tiny_gemma3_config()
    teacher = AutoModelForCausalLM.from_config(config).eval()
    keep = list(range(0, 300, 2))
    student = trim_vocabulary(copy.deepcopy(teacher), keep)  # as prune: hands it over: a copy of the teacher
    assert type(student.get_input_embeddings()) is type(teacher.get_input_embeddings())
    ids = torch.tensor([[2, 10, 20, 40, 60]])
    with torch.no_grad():
        assert torch.allclose(student(ids // 2).logits, teacher(ids).logits[..., keep], atol=1e-5)
    student.save_pretrained(tmp_path)
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.allclose(reloaded(ids // 2).logits, student(ids // 2).logits, atol=1e-5)


def tiny_gemma3_config():  # noqa: ANN201 - a transformers config
    """A two-layer Gemma-3 text model of 300 tokens: its embedding scales its rows, its loss reads its own vocab_size."""
    from transformers import Gemma3TextConfig

    return Gemma3TextConfig(
        vocab_size=300,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=4,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )
