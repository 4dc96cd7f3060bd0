"""State the product keeps across runs and models, pinned where small changes of the code went unnoticed by the
other tests (review W2's mutants): the monitor's judge queue and retention in days, the trimmed vocabulary's first ids
and post-processor ids, the refusal probe's tie-breaks, threshold, layer checks and constant layers, model spec
messages, the allocator's settings, and a stage's sessions and inputs."""

from __future__ import annotations

import numpy as np
import pytest

from safealign.errors import DataError, ModelNotFoundError


# ---- models/vocab_trim.py -------------------------------------------------------------------------------------------
def test_every_id_below_keep_first_is_kept_with_no_corpus(tiny):
    from safealign.models.vocab_trim import kept_token_ids

    keep = set(kept_token_ids(tiny.tokenizer, [], 300))
    assert (
        set(range(300)) <= keep
    )  # mutant keep_first-1: id 299 dropped (the module's test keeps it by its corpus)


# ---- probing.py ---------------------------------------------------------------------------------------------------
def _fake_states(monkeypatch, table):
    import safealign.probing as probing

    def fake(model, tokenizer, prompts, system_prompt=None, poolings=("last",), batch_size=16):
        return {"last": np.stack([table[p] for p in prompts])}

    monkeypatch.setattr(probing, "prompt_states", fake)


def _rows(n, label):
    return [(f"{'h' if label else 'b'}{i}", label) for i in range(n)]


def test_ties_go_to_the_lower_layer_and_smaller_c(monkeypatch):
    from safealign.probing import fit_refusal_probe

    rng = np.random.default_rng(0)
    table = {}
    for prompt, label in _rows(8, 1) + _rows(8, 0):
        separable = np.array([3.0 if label else -3.0, rng.normal()])
        table[prompt] = np.stack(
            [np.zeros(2), separable, separable]
        )  # layer 0 constant, layers 1 and 2 the same
    _fake_states(monkeypatch, table)
    train, dev = _rows(4, 1) + _rows(4, 0), _rows(8, 1)[4:] + _rows(8, 0)[4:]
    probe = fit_refusal_probe(None, None, train, dev, c_values=(1.0, 10.0))
    assert probe.fitted["dev_auc"] == 1.0
    assert probe.layer == 1  # mutant >=: a tie goes to the last layer tried
    assert probe.fitted["C"] == 1.0  # mutant: 10.0


def test_every_layer_the_same_is_named_not_fitted(monkeypatch):
    from safealign.probing import fit_refusal_probe

    table = {p: np.ones((3, 2)) for p, _ in _rows(8, 1) + _rows(8, 0)}
    _fake_states(monkeypatch, table)
    with pytest.raises(DataError, match="every layer's state is the same"):
        fit_refusal_probe(None, None, _rows(4, 1) + _rows(4, 0), _rows(8, 1)[4:] + _rows(8, 0)[4:])


def test_a_score_equal_to_the_threshold_refuses():
    from test_probing import FixedProbe, LocalSampler, RefuseJudge

    from safealign.generation import SamplingParams
    from safealign.probing import ProbeRoutedGenerator

    sampler = LocalSampler(greedy={"edge": "No, sorry"}, sampled={"edge": ["Sure a", "Sure b"]})
    routed = ProbeRoutedGenerator(
        sampler, FixedProbe({"edge": 0.5}), samples=2, temperature=0.9, top_p=0.8, judge=RefuseJudge()
    )
    out = routed.generate(["edge"], SamplingParams(max_new_tokens=8, seed=3))
    assert out[0].meta["probe"]["refuse"] is True and out[0].meta["probe"]["source"] == "greedy"
    assert len(sampler.asked) == 1  # the greedy refusal agrees with the probe: nothing sampled


def test_a_negative_layer_is_named(tmp_path):
    import json

    from safealign.probing import RefusalProbe

    fields = {
        "layer": -1,
        "threshold": 0.5,
        "mean": [0.0] * 3,
        "scale": [1.0] * 3,
        "coef": [1.0] * 3,
        "intercept": 0.0,
    }
    (tmp_path / "probe.json").write_text(json.dumps(fields))
    with pytest.raises(DataError, match="layer must be a layer index >= 0"):
        RefusalProbe.load(tmp_path / "probe.json")


def test_a_layer_one_past_the_last_is_named_not_an_index_error():
    from safealign.probing import RefusalProbe

    probe = RefusalProbe(
        layer=3, threshold=0.5, mean=[0.0] * 4, scale=[1.0] * 4, coef=[1.0] * 4, intercept=0.0
    )
    with pytest.raises(DataError, match="reads layer 3"):
        probe.scores_from_states(np.zeros((2, 3, 4)))  # layers 0..2, hidden size 4 matches


# ---- models/specs.py ----------------------------------------------------------------------------------------------
def test_a_path_with_dotdot_is_not_called_a_hub_id():
    from safealign.models.specs import looks_like_hub_id, resolve_spec

    assert not looks_like_hub_id("nosuchowner/..")
    with pytest.raises(ModelNotFoundError, match="no such file or folder"):
        resolve_spec("nosuchowner/..")


def test_an_existing_path_that_looks_like_a_misspelt_scheme_passes(tmp_path, monkeypatch):
    from safealign.models.specs import check_spec_text

    (tmp_path / "tin:y").mkdir()
    monkeypatch.chdir(tmp_path)
    assert check_spec_text("tin:y") == "tin:y"
    with pytest.raises(ModelNotFoundError, match="did you mean 'tiny:'"):
        check_spec_text("tin:z")


def test_the_id_a_post_processor_adds_is_kept_even_when_not_an_added_token(tiny):
    """The module's BOS test makes the BOS an added token too, so the added-token rule keeps it either way."""
    import json

    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    from safealign.models.vocab_trim import kept_token_ids

    data = json.loads(tiny.tokenizer.backend_tokenizer.to_str())
    bos_id = 1000
    bos = tiny.tokenizer.convert_ids_to_tokens(bos_id)  # an ordinary vocabulary token, past keep_first
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }
    teacher = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(data)), eos_token=tiny.tokenizer.eos_token
    )
    assert teacher("")["input_ids"] == [bos_id]
    assert bos_id in kept_token_ids(
        teacher, [], 300
    )  # mutant: dropped, the student's BOS past its vocabulary


# ---- allocator.py -------------------------------------------------------------------------------------------------
def test_one_failed_mallopt_is_not_reported_applied(monkeypatch):
    from safealign import allocator

    class FakeLibc:
        def mallopt(self, param, value):
            return 1 if param == allocator.M_MMAP_THRESHOLD else 0  # the trim threshold refused

    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.delenv("SAFEALIGN_KEEP_FREED_MEMORY", raising=False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: FakeLibc())
    assert allocator.keep_freed_memory() is False  # mutant `or`: True with half the setting applied


# ---- runs.py ------------------------------------------------------------------------------------------------------
def test_a_session_counts_only_rows_before_the_next_session_started(tmp_path):
    """Two earlier sessions without ran_s (a sessions.jsonl from a crash before the next open rewrote it)."""
    import json

    from safealign.runs import StageRecord

    stage_dir = tmp_path / "sft"
    stage_dir.mkdir()
    (stage_dir / "sessions.jsonl").write_text(
        json.dumps({"started_at": 1000.0, "checkpoint": None})
        + "\n"
        + json.dumps({"started_at": 2000.0, "checkpoint": "checkpoint-2"})
        + "\n"
    )
    (stage_dir / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "time": t}) + "\n" for s, t in ((1, 1010.0), (2, 1030.0), (3, 2005.0)))
    )
    third = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=3000.0)
    third.open_session(stage_dir, stage_dir / "checkpoint-2")
    assert third.earlier_sessions_s == [
        30.0,
        5.0,
    ]  # mutant: [1005.0, 5.0], the second session's row counted twice


def test_a_stage_finished_in_one_session_records_one_session(tmp_path):
    from safealign.runs import StageRecord, read_json

    record = StageRecord(stage="eval", parent="m", output="o", config={}, seed=1, started_at=1000.0)
    record.finish(tmp_path)
    assert (
        read_json(tmp_path / "stage.json")["sessions"] == 1
    )  # mutant: 0 (the card says "(0 sessions)"-like)


def test_an_input_inside_the_stage_own_folder_is_not_a_retrained_upstream(tmp_path):
    import json

    from safealign.runs import retrained_input

    stage = tmp_path / "eval"
    (stage / "model").mkdir(parents=True)
    (stage / "stage.json").write_text(
        json.dumps(
            {"stage": "eval", "parent": str(stage / "model"), "started_at": 1000.0, "finished_at": 2000.0}
        )
    )
    assert retrained_input(stage) is None  # mutant: the stage's own later finish reads as a retrained input


# ---- monitor/store.py ---------------------------------------------------------------------------------------------
def test_only_exchanges_marked_queue_enter_the_judge_queue(tmp_path):
    import sqlalchemy as sa

    from safealign.monitor.store import Store, judge_queue

    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges(
        [
            {"status": "queued", "queue": True},
            {"status": "judged", "queue": False},
            {"status": "queued", "queue": True},
        ]
    )
    with store.engine.connect() as conn:
        queued = sorted(conn.execute(sa.select(judge_queue.c.exchange_id)).scalars())
    assert queued == [ids[0], ids[2]]  # mutant: the judged row is queued and judged again
    assert store.backlog() == 2


def test_retention_counts_days_not_hours(tmp_path):
    import datetime as dt

    from safealign.monitor.store import Store, utcnow

    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [
            {"status": "queued", "queue": True, "created_at": utcnow() - dt.timedelta(days=2)},
            {"status": "queued", "queue": True, "created_at": utcnow() - dt.timedelta(days=40)},
        ]
    )
    assert store.purge(retention_days=30) == 1  # mutant (30 hours): the 2-day-old exchange goes too
