"""Review 69 (second look) of the model card: "trained to refuse clearly harmful requests" of a model whose training held
no refusal, and the builder's local folder as the Hub's ``base_model``.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import yaml
from test_card_provenance import T0, new_run, stage

from safealign.runs import write_jsonl


def _sft_of(run, model: str, by_kind: dict, root) -> None:
    """eval/base, sft of a mixture counted ``by_kind`` (one user file), and eval/sft."""
    data = root / "mine.jsonl"
    write_jsonl(
        data,
        [
            {
                "messages": [
                    {"role": "user", "content": f"{i} + 1?"},
                    {"role": "assistant", "content": f"{i + 1}"},
                ]
            }
            for i in range(4)
        ],
    )
    source = {"name": str(data), "path": str(data), "rows_in_file": 4, "fraction": 1.0, "rows_used": 4}
    stage(run, "eval/base", model, T0)
    stage(run, "sft", model, T0 + 20, inputs={"data": {"rows": 4, "by_kind": by_kind, "sources": [source]}})
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40)


def _use(text: str) -> str:
    return " ".join(text.split("## Intended use", 1)[1].split("## Training procedure", 1)[0].split())


def test_a_model_trained_on_no_refusal_is_not_said_to_be_trained_to_refuse(tmp_path, card):
    """A user's own SFT mixture of maths only: the card's intended use said "trained to refuse clearly harmful requests"
    and its out-of-scope use "its refusals are a trained behaviour", which no file of the run folder showed."""
    run = new_run(tmp_path / "maths")
    _sft_of(run, "tiny", {"reasoning": 4}, tmp_path)
    use = _use(card(run))
    assert ", not trained to refuse clearly harmful requests (how often it does" in use, use
    assert "Not trained to refuse: no stage it was made from trained on harmful-request rows" in use, use
    assert (
        "refusals are a trained behaviour" not in use and "was not trained to refuse harmful requests." in use
    )

    # rows that name no kind (left out: "unknown"; JSON null: "null"): whether they held refusals is not recorded
    run = new_run(tmp_path / "unknown")
    _sft_of(run, "tiny", {"unknown": 3, "null": 1, "reasoning": 2}, tmp_path)
    use = _use(card(run))
    assert ", not known to be trained to refuse clearly harmful requests" in use, use
    assert "`sft/stage.json` counts 4 training rows that name no `kind`" in use, use

    # refusal rows, or RL's safety prompts on top of a maths SFT: trained to refuse, as before
    run = new_run(tmp_path / "refusals")
    _sft_of(run, "tiny", {"reasoning": 2, "harmful": 2}, tmp_path)
    use = _use(card(run))
    assert (
        ", trained to refuse clearly harmful requests" in use and "refusals are a trained behaviour" in use
    ), use
    run = new_run(tmp_path / "rl")
    _sft_of(run, "tiny", {"reasoning": 4}, tmp_path)
    stage(
        run, "rl", str(run / "sft/model"), T0 + 60, inputs={"prompts": {"rows": 8, "tasks": {"safety": 0.5}}}
    )
    stage(run, "eval/rl", str(run / "rl/model"), T0 + 80)
    assert ", trained to refuse clearly harmful requests" in _use(card(run))


def test_a_local_base_model_is_not_the_hubs_base_model(tmp_path, card):
    """model.name /abs/models/my-base: the front matter's base_model was that path, the builder's folder in a card
    meant for the Hub (which reads base_model as a model id). A Hub-style id is kept."""
    local = str(tmp_path / "models" / "my-base")
    run = new_run(tmp_path / "local", local)
    _sft_of(run, local, {"harmful": 4}, tmp_path)
    text = card(run)
    front = yaml.safe_load(text.split("---")[1])
    assert "base_model" not in front and str(tmp_path) not in text.split("---")[1], front
    row = next(line for line in text.splitlines() if line.startswith("| **Base model** |"))
    assert (
        f"`{local}` (other); a local model, not a Hub id, so the card's metadata names no `base_model`" in row
    )

    hub = "HuggingFaceTB/SmolLM2-135M-Instruct"
    run = new_run(tmp_path / "hub", hub)
    _sft_of(run, hub, {"harmful": 4}, tmp_path)
    text = card(run)
    assert yaml.safe_load(text.split("---")[1])["base_model"] == hub and "not a Hub id" not in text


def test_an_sft_record_from_before_it_held_the_mixture_shows_its_data_mixture_json(tmp_path, card):
    """sft/stage.json without ``inputs.data`` (a run from before it held the mixture) beside sft/data_mixture.json, which
    the data card reads: the model card's **Data** said "None rows () from ; mixture sha256 None"."""
    from safealign.runs import write_json

    run = new_run(tmp_path)
    data = tmp_path / "mine.jsonl"
    write_jsonl(
        data, [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}]
    )
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20)
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40)
    mixture = {
        "rows": 1,
        "sha256": "abc123",
        "by_kind": {"harmful": 1},
        "sources": [{"name": str(data), "path": str(data)}],
    }
    write_json(run / "sft/data_mixture.json", mixture)
    text = card(run)
    assert "- **Data:** 1 rows (harmful 1) from mine.jsonl; mixture sha256 abc123" in text
    assert "None rows" not in text and ", trained to refuse clearly harmful requests" in _use(text)

    (run / "sft/data_mixture.json").unlink()
    text = card(run)
    assert (
        "- **Data:** not recorded (sft/stage.json holds no inputs.data, and sft/data_mixture.json is missing)"
        in text
    )


def test_traces_given_by_a_path_outside_the_run_are_listed_by_file_name_in_the_front_matter(tmp_path, card):
    """`safealign distill --traces /abs/my_traces.jsonl`: the front matter's ``datasets`` held the builder's absolute
    path, as ``base_model`` did a local base model's."""
    from safealign.runs import write_json

    run = new_run(tmp_path)
    traces = tmp_path / "elsewhere" / "my_traces.jsonl"
    traces.parent.mkdir()
    write_jsonl(
        traces, [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}]
    )
    source = {"name": str(traces), "path": str(traces), "rows_used": 1}
    stage(run, "eval/base", "tiny", T0)
    inputs = {"traces": {"rows": 1, "sha256": "a", "by_kind": {"harmful": 1}, "sources": [source]}}
    stage(run, "distill", "tiny", T0 + 20, config={"student": "prune:0.5"}, inputs=inputs)
    write_json(run / "distill/config.json", {"traces": str(traces)})
    stage(run, "eval/student", str(run / "distill/model"), T0 + 40)
    front = card(run).split("---")[1]
    assert yaml.safe_load(front)["datasets"] == ["my_traces.jsonl"] and str(tmp_path) not in front, front
