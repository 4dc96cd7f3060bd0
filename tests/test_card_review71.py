"""Review 71 of the transparency bundle: the Hub front matter's ``base_model`` of a local base model, and a rebuild of the
same run folder giving the same files.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import yaml
from test_card_provenance import T0, sft_run

from safealign.models.embedded import DEFAULT_MODEL, EMBEDDED_MODELS, gguf_path
from safealign.paths import safealign_home

SMOLLM2 = EMBEDDED_MODELS[DEFAULT_MODEL.split(":", 1)[1]]


def _front(text: str) -> dict:
    return yaml.safe_load(text.split("---")[1])


def _base_row(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("| **Base model** |"))


def test_a_relative_local_base_model_is_not_the_hubs_base_model(tmp_path, card, monkeypatch):
    """model.name models/my-base, a folder of the run's working folder: shaped like a Hub id (owner/name), it was the
    front matter's base_model, which the Hub links to the model of a user "models". A folder downloaded from the Hub
    under its id (huggingface-cli download ID --local-dir ID) is that Hub model still."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models/my-base").mkdir(parents=True)
    (tmp_path / "models/my-base/config.json").write_text("{}")
    text = card(sft_run(tmp_path / "local", "models/my-base"))
    assert "base_model" not in _front(text)
    assert (
        "`models/my-base` (other); a local model, not a Hub id, so the card's metadata names no `base_model`"
        in _base_row(text)
    )

    (tmp_path / "HuggingFaceTB/SmolLM2-135M-Instruct/.cache/huggingface").mkdir(parents=True)
    text = card(sft_run(tmp_path / "downloaded", "HuggingFaceTB/SmolLM2-135M-Instruct"))
    assert _front(text)["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and "not a Hub id" not in text


def test_a_model_of_the_hugging_face_cache_is_named_by_its_hub_id(tmp_path, card):
    """A snapshot folder of the Hugging Face cache names its Hub model in its path: the card named none (an absolute
    path) and titled the model by the builder's cache folder."""
    snapshot = str(tmp_path / "hf/hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/0123abc")
    text = card(sft_run(tmp_path, snapshot))
    assert _front(text)["base_model"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert text.split("---", 2)[2].lstrip().startswith("# tr: Qwen/Qwen2.5-0.5B-Instruct post-trained")
    assert f"| **Base model** | `{snapshot}` (other) |" in text  # the body names the path the run loaded


def test_the_packaged_model_given_by_its_path_is_the_embedded_model(tmp_path, card):
    """The embedded model given by the path of its GGUF file, or of the float32 folder safealign converted it to: the
    same weights as embedded:smollm2-135m-instruct, but the card named no base model and licence "other"."""
    for folder, path in (
        ("gguf", gguf_path(SMOLLM2.name)),
        ("converted", safealign_home() / "models" / SMOLLM2.name),
    ):
        text = card(sft_run(tmp_path / folder, str(path)))
        front = _front(text)
        assert (front["base_model"], front["license"]) == (SMOLLM2.base_model, SMOLLM2.license), folder
        row = _base_row(text)
        assert f"`{path}` ({SMOLLM2.license}): the Q4_1 GGUF copy {SMOLLM2.gguf_file}" in row, row
        lineage = yaml.safe_load((tmp_path / folder / "runs/tr/lineage.json").read_text())
        base = next(node for node in lineage["nodes"] if node.get("role") == "base model")
        assert base["weights_file"] == SMOLLM2.gguf_file and len(base["weights_sha256"]) == 64, folder


BUNDLE = ("README.md", "DATA_CARD.md", "lineage.json", "report.html", ".card_written.json")


def _bundle(run: Path) -> dict[str, bytes]:
    return {name: (run / name).read_bytes() for name in BUNDLE}


def test_a_rebuild_of_the_same_run_folder_gives_the_same_bundle(tmp_path, card, monkeypatch):
    """report.html showed the minute it was generated and lineage.json its second (generated_at): every rebuild of an
    unchanged run folder gave other files (and another sha256 in .card_written.json). Both show the time of the run's
    newest stage record, eval/sft's finished_at (T0 + 45)."""
    run = sft_run(tmp_path)
    card(run)
    before = _bundle(run)

    real = datetime.datetime

    class ALaterDay(real):
        @classmethod
        def now(cls, tz=None):
            return real(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    monkeypatch.setattr(datetime, "datetime", ALaterDay)
    card(run)
    monkeypatch.undo()
    assert _bundle(run) == before
    as_of = real.fromtimestamp(T0 + 45, datetime.UTC)
    lineage = yaml.safe_load((run / "lineage.json").read_text())  # JSON is YAML
    assert lineage["records_as_of"] == as_of.isoformat(timespec="seconds") and "generated_at" not in lineage
    assert f"</code>; its last stage finished {as_of:%Y-%m-%d %H:%M} UTC</p>" in (run / "report.html").read_text()


def test_the_bundle_does_not_depend_on_the_machines_time_zone(tmp_path, card, monkeypatch):
    """The report's stage table showed each stage's finish in the builder's local time, unlabelled: the same run folder
    gave another report.html on a machine in another time zone, and a reader could not tell which zone."""
    import time

    run = sft_run(tmp_path)
    built = []
    for zone in ("UTC", "Asia/Tokyo"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        card(run)
        built.append(_bundle(run))
    monkeypatch.undo()
    time.tzset()
    assert built[0] == built[1]
    finished = datetime.datetime.fromtimestamp(T0 + 25, datetime.UTC)  # sft's finished_at
    assert f'<td class="num">{finished:%Y-%m-%d %H:%M} UTC</td></tr>' in (run / "report.html").read_text()


def test_the_distillation_traces_are_no_hub_dataset_id_in_the_front_matter(tmp_path, card):
    """The default traces were listed in the front matter's ``datasets`` as sample/traces.jsonl, which the Hub reads as
    the dataset ``traces.jsonl`` of a user ``sample`` (as traces given by a relative path, data/my_traces.jsonl); the
    file's name is listed, as an absolute path's was, and DATA_CARD.md names the path."""
    from test_card_provenance import new_run, stage
    from test_card_review69b import write_jsonl

    from safealign.runs import write_json

    for folder, traces in (("default", "sample/traces.jsonl"), ("relative", "data/my_traces.jsonl")):
        run = new_run(tmp_path / folder)
        path = run / traces if folder == "default" else tmp_path / folder / traces
        path.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(path, [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}])
        recorded = str(path) if folder == "default" else traces
        source = {"name": recorded, "path": str(path), "rows_used": 1}
        stage(run, "eval/base", "tiny", T0)
        inputs = {"traces": {"rows": 1, "sha256": "a", "by_kind": {"harmful": 1}, "sources": [source]}}
        stage(run, "distill", "tiny", T0 + 20, config={"student": "prune:0.5"}, inputs=inputs)
        write_json(run / "distill/config.json", {"traces": recorded})
        stage(run, "eval/student", str(run / "distill/model"), T0 + 40)
        text = card(run)
        assert _front(text)["datasets"] == [Path(traces).name], folder
        assert traces in (run / "DATA_CARD.md").read_text(), folder


def test_half_an_emoji_in_a_sample_does_not_fail_the_bundle(tmp_path, card):
    """A samples.jsonl prompt holding a lone surrogate (half an emoji, written "\\ud83d" by a foreign tool or an edit):
    the report could not be encoded as UTF-8, and the bundle failed with a UnicodeEncodeError traceback. It is shown as
    its escape; the rest of the text as written."""
    import json

    run = sft_run(tmp_path)
    row = {
        "suite": "harmful",
        "id": "h1",
        "split": "held_out",
        "prompt": "cut \ud83d here, «café» kept",
        "completion": "no",
        "verdicts": {"refusal": {"label": "refusal"}, "harm": {"label": "safe"}},
    }
    (run / "eval/sft/samples.jsonl").write_text(json.dumps(row) + "\n")
    card(run)
    assert "cut \\ud83d here, «café» kept" in (run / "report.html").read_text(encoding="utf-8")
