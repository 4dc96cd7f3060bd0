"""Bad input ends in one line on stderr that names the problem and the fix, exit code 2, never a traceback."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from safealign.cli.common import friendly_errors
from safealign.cli.main import app
from safealign.corpus import build_mixture, read_rows_and_problems, validate_rows
from safealign.errors import DataError

runner = CliRunner()


def write_rows(path, n=6):
    rows = [
        {
            "id": f"m{i}",
            "kind": "benign",
            "messages": [
                {"role": "user", "content": f"Say word {i}."},
                {"role": "assistant", "content": f"The word is banana {i}."},
            ],
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def assert_clear_error(result, *needles):
    assert result.exit_code == 2, result.output  # an uncaught exception exits 1
    stderr = " ".join(result.stderr.split())  # rich wraps long lines
    assert "error: " in stderr and "Traceback" not in stderr, stderr
    for needle in needles:
        assert needle in stderr, stderr


def test_a_latin1_line_is_reported_with_its_line_and_the_fix(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl")
    path.write_bytes(path.read_bytes().replace(b"banana 3", "café 3".encode("latin-1")))
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 5  # the other lines are still read
    assert [problem.line for problem in problems] == [4]
    assert "not UTF-8" in str(problems[0]) and "0xe9" in str(problems[0]) and "iconv" in str(problems[0])
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and f"{path}:4: not UTF-8" in " ".join(result.stderr.split())


def test_an_unpaired_surrogate_escape_and_a_utf16_file_are_named_with_the_fix(tmp_path):
    """A JSON "\\ud83d" without its pair passed the check, then crashed SFT (sha256) and the tokenizer."""
    path = tmp_path / "cut.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "emoji \\ud83d please"}, {"role": "assistant", "content": "ok"}]}\n'
        '{"messages": [{"role": "user", "content": "a pair \\ud83d\\ude00 is fine"}, {"role": "assistant", "content": "ok"}]}\n'
    )
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 1 and [(p.line, p.field) for p in problems] == [(1, "messages.0.content")]
    assert "unpaired surrogate escape \\ud83d" in str(problems[0])
    utf16 = tmp_path / "u16.jsonl"
    utf16.write_bytes('{"messages": []}\n{"messages": []}\n'.encode("utf-16"))
    rows, problems = read_rows_and_problems(utf16)
    assert (
        not rows
        and len(problems) == 1
        and "the file is UTF-16" in str(problems[0])
        and "iconv -f utf-16" in str(problems[0])
    )


def chat_row(user, answer):
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


def test_text_in_a_message_key_training_leaves_out_is_named_not_dropped(tmp_path):
    """SFT keeps a turn's role and content only, so an answer's reasoning_content (Qwen3/DeepSeek-R1 exports) or tool
    calls were dropped while data check said the file was valid; other keys ("name", "metadata") stay harmless."""
    row = chat_row("What is 6 + 10?", "16")
    row["messages"][1] |= {"reasoning_content": "6 + 10 = 16", "name": "bot", "metadata": {"src": "web"}}
    tools = chat_row("Weather in Paris?", "Let me check.")
    tools["messages"][1]["tool_calls"] = [{"type": "function", "function": {"name": "weather"}}]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (row, tools, chat_row("Hi", "Hello!"))))
    problems = validate_rows(path, read_rows_and_problems(path)[0])
    assert [(p.line, p.field) for p in problems] == [
        (1, "messages[1].reasoning_content"),
        (2, "messages[1].tool_calls"),
    ]
    assert "move it into 'content' as '<think>...</think>'" in str(problems[0])
    assert "tool calls are not supported" in str(problems[1])


def test_chat_template_control_tokens_typed_into_a_turn_are_named_with_the_fix(tmp_path, tiny):
    """<|im_end|> in an answer's text passed data check and became the real end-of-turn id inside the trained answer."""
    answer = "A GPT-2 document ends with <|endoftext|>; a ChatML turn ends with <|im_end|>."
    path = tmp_path / "special.jsonl"
    rows = [
        chat_row("Which tokens end a document and a turn?", answer),
        chat_row("Spaced out?", "Written as <| im_end |> or a|b <x> it stays text."),
        chat_row("Llama 3's end of turn <|eot_id|> in a question?", "It is flagged in a prompt too."),
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    problems = validate_rows(path, read_rows_and_problems(path)[0])
    assert [(p.line, p.field) for p in problems] == [(1, "messages[1].content"), (3, "messages[0].content")]
    assert "<|endoftext|>, <|im_end|>" in str(problems[0]) and "end or open a turn" in str(problems[0])
    assert "write them with spaces (<| endoftext |>, <| im_end |>)" in str(problems[0])
    special = set(tiny.tokenizer.all_special_ids)
    assert special & set(tiny.tokenizer("<|im_end|>")["input_ids"])  # why it matters
    assert not special & set(tiny.tokenizer("<| im_end |>")["input_ids"])  # and why the fix works
    with pytest.raises(
        DataError, match=r"special.jsonl:1: field 'messages\[1\].content': holds <\|endoftext\|>"
    ):
        build_mixture({str(path): 1.0}, seed=0)  # what sft and distill read their rows with
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and f"{path}:3: field 'messages[0].content': holds <|eot_id|>" in " ".join(
        result.stderr.split()
    )


def test_a_llama_3_header_typed_into_a_turn_is_one_problem_naming_both_tokens(tmp_path):
    """Two control tokens in one turn are one problem on that turn, naming each."""
    path = tmp_path / "header.jsonl"
    row = chat_row("How does a Llama 3 turn start?", "With <|start_header_id|>user<|end_header_id|>")
    path.write_text(json.dumps(row) + "\n")
    problems = validate_rows(path, read_rows_and_problems(path)[0])
    assert [(p.line, p.field) for p in problems] == [(1, "messages[1].content")]
    assert "holds <|start_header_id|>, <|end_header_id|>" in str(problems[0]), problems[0]


def write_parquet(path, rows):
    import pandas

    pandas.DataFrame(rows).to_parquet(path)


def write_gzip(path, rows):
    import gzip

    path.write_bytes(gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode()))


def compressed_with(module: str):
    """A writer of JSONL rows compressed by ``module`` (bz2, lzma, zipfile)."""

    def write(path, rows):
        import importlib

        data = "".join(json.dumps(row) + "\n" for row in rows).encode()
        if module == "zipfile":
            import zipfile

            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("rows.jsonl", data)
        else:
            path.write_bytes(importlib.import_module(module).compress(data))

    return write


def write_zstd(path, rows):
    # zstd frames start with the magic bytes 28 b5 2f fd; the reader looks at nothing else
    path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(200, 256)))


def write_feather(path, rows):
    import pandas

    pandas.DataFrame(rows).to_feather(path)


def write_arrow(path, rows):
    from datasets import Dataset

    Dataset.from_list(rows).save_to_disk(path.parent / "saved")
    (path.parent / "saved" / "data-00000-of-00001.arrow").rename(path)


@pytest.mark.parametrize(
    ("name", "write", "says", "export"),
    [
        (
            "rows.parquet",
            write_parquet,
            "the file is Parquet, not JSONL",
            "pandas.read_parquet('{dir}/rows.parquet').to_json('{dir}/rows.jsonl', orient='records', lines=True)",
        ),
        (
            "rows.jsonl.gz",
            write_gzip,
            "the file is gzip-compressed, not JSONL",
            "gunzip -c {dir}/rows.jsonl.gz > {dir}/rows.jsonl",
        ),
        (
            "rows.jsonl",
            write_gzip,
            "the file is gzip-compressed, not JSONL",
            "gunzip -c {dir}/rows.jsonl > {dir}/rows.exported.jsonl",
        ),
        (
            "rows.jsonl.bz2",
            compressed_with("bz2"),
            "the file is bzip2-compressed, not JSONL",
            "bunzip2 -c {dir}/rows.jsonl.bz2 > {dir}/rows.jsonl",
        ),
        (
            "rows.jsonl.xz",
            compressed_with("lzma"),
            "the file is xz-compressed, not JSONL",
            "xz -dc {dir}/rows.jsonl.xz > {dir}/rows.jsonl",
        ),
        (
            "rows.jsonl.zst",
            write_zstd,
            "the file is zstd-compressed, not JSONL",
            "zstd -dc {dir}/rows.jsonl.zst > {dir}/rows.jsonl",
        ),
        (
            "rows.zip",
            compressed_with("zipfile"),
            "the file is a zip archive, not JSONL",
            "unzip -p {dir}/rows.zip > {dir}/rows.jsonl",
        ),
        (
            "rows.feather",
            write_feather,
            "an Arrow (Feather) file, not JSONL",
            "pandas.read_feather('{dir}/rows.feather').to_json('{dir}/rows.jsonl', orient='records', lines=True)",
        ),
        (
            "rows.arrow",
            write_arrow,
            "an Arrow file of a Hugging Face dataset, not JSONL",
            "datasets.Dataset.from_file('{dir}/rows.arrow').to_json('{dir}/rows.jsonl')",
        ),
    ],
)
def test_a_binary_dataset_file_is_named_with_its_export_to_jsonl(tmp_path, name, write, says, export):
    """A Parquet, gzipped, bzip2, xz, zstd or zip file was reported as 'not UTF-8 text' on every line, with iconv as
    the fix."""
    path = tmp_path / name
    write(path, [chat_row("Hello there friend, how are you?", "Fine, thanks.")])
    rows, problems = read_rows_and_problems(path)
    assert not rows and len(problems) == 1 and problems[0].line == 1
    message = str(problems[0])
    assert says in message and "only JSON Lines are read" in message and "iconv" not in message, message
    assert message.endswith(f"`{export.format(dir=tmp_path)}`"), message
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and says in " ".join(result.stderr.split())


def test_a_folder_saved_by_datasets_is_named_with_its_export_to_jsonl(tmp_path):
    """A datasets.save_to_disk folder was told to 'give the JSONL file in it', though it holds none."""
    from datasets import Dataset, DatasetDict

    rows = [chat_row("Hello there friend, how are you?", "Fine, thanks.")]
    Dataset.from_list(rows).save_to_disk(tmp_path / "saved")
    with pytest.raises(DataError) as error:
        read_rows_and_problems(tmp_path / "saved")
    assert f"datasets.load_from_disk('{tmp_path}/saved').to_json('{tmp_path}/saved.jsonl')" in str(
        error.value
    )
    result = runner.invoke(app, ["data", "check", str(tmp_path / "saved")])
    assert_clear_error(result, "saved by Hugging Face datasets, not JSONL", "only JSON Lines are read")
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(tmp_path / "splits")
    with pytest.raises(DataError, match=r"load_from_disk\('.*/splits'\)\['train'\]\.to_json"):
        read_rows_and_problems(tmp_path / "splits")
    (tmp_path / "plain").mkdir()
    write_rows(tmp_path / "plain" / "a.jsonl")
    with pytest.raises(DataError, match=r"plain is a folder; give the JSONL file in it \(.*/plain/a.jsonl\)"):
        read_rows_and_problems(tmp_path / "plain")
    write_rows(tmp_path / "plain" / "b.jsonl")
    with pytest.raises(
        DataError, match=r"plain is a folder; give one of the JSONL files in it \(a.jsonl, b.jsonl\)"
    ):
        read_rows_and_problems(tmp_path / "plain")


def test_a_folder_of_bare_arrow_files_is_named_with_an_export_that_reads_them(tmp_path):
    """Arrow shards copied without state.json were told to use datasets.load_from_disk, which cannot read them."""
    from datasets import Dataset

    rows = [chat_row("Hello there friend, how are you?", "Fine, thanks.")]
    Dataset.from_list(rows).save_to_disk(tmp_path / "saved")
    (tmp_path / "cache").mkdir()
    (tmp_path / "saved" / "data-00000-of-00001.arrow").rename(
        tmp_path / "cache" / "data-00000-of-00001.arrow"
    )
    with pytest.raises(DataError) as error:
        read_rows_and_problems(tmp_path / "cache")
    export = f"datasets.Dataset.from_file('{tmp_path}/cache/data-00000-of-00001.arrow').to_json('{tmp_path}/cache.jsonl')"
    assert export in str(error.value) and "load_from_disk" not in str(error.value), error.value


def test_a_folder_of_one_validation_split_names_that_split(tmp_path):
    """A DatasetDict saved with only a validation split: the export names ['validation'], not a 'train' it lacks."""
    from datasets import Dataset, DatasetDict

    rows = [chat_row("Hello there friend, how are you?", "Fine, thanks.")]
    DatasetDict({"validation": Dataset.from_list(rows)}).save_to_disk(tmp_path / "splits")
    with pytest.raises(DataError, match=r"load_from_disk\('.*/splits'\)\['validation'\]\.to_json"):
        read_rows_and_problems(tmp_path / "splits")


@pytest.mark.parametrize(
    ("row", "form", "mapping"),
    [
        (
            {"prompt": "Hello there friend", "completion": "Fine, thanks."},
            "prompt/completion form",
            "a text prompt is one {'role': 'user', 'content': prompt} turn",
        ),
        (
            {
                "prompt": [{"role": "user", "content": "hi"}],
                "completion": [{"role": "assistant", "content": "yo"}],
            },
            "prompt/completion form",
            "the prompt's turns, then the completion's",
        ),
        ({"prompt": "Hi"}, "prompt/completion form", "the prompt's turns, then the completion's"),
        ({"completion": "Hello"}, "prompt/completion form", "the prompt's turns, then the completion's"),
        (
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]},
            "ShareGPT form",
            "from human -> user, gpt -> assistant",
        ),
    ],
)
def test_a_row_of_another_chat_form_is_named_with_its_mapping_to_messages(tmp_path, row, form, mapping):
    """prompt/completion and ShareGPT rows got only 'needs a non-empty list of {role, content} messages'."""
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps(row) + "\n")
    problems = validate_rows(path, read_rows_and_problems(path)[0])
    assert [(p.line, p.field) for p in problems] == [(1, "messages")]
    assert form in str(problems[0]) and mapping in str(problems[0]), problems[0]


def test_a_line_nested_too_deeply_is_named_with_its_line_not_a_traceback(tmp_path):
    """A line of 100,000 '[' ended data check with a RecursionError traceback."""
    path = write_rows(tmp_path / "deep.jsonl", n=2)
    path.write_text(path.read_text() + "[" * 100_000 + "\n")
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 2 and [(p.line, p.field) for p in problems] == [(3, "")]
    assert "nested too deeply" in str(problems[0])
    only = tmp_path / "only_deep.jsonl"  # no row read: the whole file is also tried as one JSON array
    only.write_text('{"a": ' + "[" * 100_000 + "\n")
    assert "nested too deeply" in str(read_rows_and_problems(only)[1][0])
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and f"{path}:3: nested too deeply" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def tiny_recipe(tmp_path, data, output_dir=None, **sft):
    settings = {
        "datasets": {str(data): 1.0},
        "method": "full",
        "max_steps": 2,
        "batch_size": 3,
        "save_steps": 2,
        "logging_steps": 1,
        "max_length": 64,
    } | sft
    recipe = {
        "name": "t",
        "output_dir": str(output_dir or tmp_path / "runs"),
        "precision": "fp32",
        "model": {"name": "tiny"},
        "sft": settings,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(recipe))  # JSON is YAML
    return path


@pytest.mark.parametrize("out", ["a_file", "a_file/sub"])
def test_sft_out_that_is_a_file_names_it(tmp_path, out):
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"))
    (tmp_path / "a_file").write_text("keep me")
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / out)])
    assert_clear_error(result, f"cannot write {tmp_path / out}", f"{tmp_path / 'a_file'} is a file", "--out")
    assert (tmp_path / "a_file").read_text() == "keep me"


def test_run_with_output_dir_a_file_names_it(tmp_path):
    (tmp_path / "a_file").write_text("keep me")
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"), output_dir=tmp_path / "a_file")
    assert_clear_error(
        runner.invoke(app, ["run", str(recipe)]), f"{tmp_path / 'a_file'} is a file", "output_dir"
    )


def test_models_list_with_home_a_file_names_it(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = runner.invoke(app, ["models", "list"], env={"SAFEALIGN_HOME": str(tmp_path / "a_file")})
    assert_clear_error(result, f"{tmp_path / 'a_file'} is a file", "SAFEALIGN_HOME")


def test_eval_diff_json_under_a_file_names_it(tmp_path):
    for name in ("before", "after"):
        result = runner.invoke(
            app,
            [
                "eval",
                "tiny",
                "--suites",
                "harmful",
                "--limit",
                "1",
                "--max-new-tokens",
                "2",
                "--out",
                str(tmp_path / name),
            ],
        )
        assert result.exit_code == 0, result.output
    (tmp_path / "a_file").write_text("")
    result = runner.invoke(
        app,
        [
            "eval-diff",
            str(tmp_path / "before"),
            str(tmp_path / "after"),
            "--json",
            str(tmp_path / "a_file" / "x.json"),
        ],
    )
    assert_clear_error(result, f"{tmp_path / 'a_file'} is a file", "--json")


def test_an_output_folder_without_write_permission_names_it(capsys):
    @friendly_errors
    def fails(error):
        raise error

    for error in (
        PermissionError(13, "Permission denied", "/srv/runs/sft"),
        PermissionError(1, "Operation not permitted", "/sys/kernel/x"),
    ):
        with pytest.raises(typer.Exit) as exit_info:
            fails(error)
        assert exit_info.value.exit_code == 2
        stderr = " ".join(capsys.readouterr().err.split())
        assert (
            f"no permission to access {error.filename} (permission denied)" in stderr and "--out" in stderr
        ), stderr


def test_a_file_without_read_permission_says_to_fix_its_permissions(tmp_path, capsys):
    @friendly_errors
    def fails(error):
        raise error

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: x\n")
    with pytest.raises(typer.Exit):
        fails(
            PermissionError(13, "Permission denied", str(recipe))
        )  # root reads any file: the error is made up
    stderr = " ".join(capsys.readouterr().err.split())
    assert (
        f"no permission to access {recipe}" in stderr and "chmod" in stderr and "copy you can read" in stderr
    ), stderr


def test_other_os_errors_still_raise():
    @friendly_errors
    def fails(error):
        raise error

    with pytest.raises(FileNotFoundError):
        fails(FileNotFoundError(2, "No such file or directory", "/nope"))
    with pytest.raises(FileExistsError):  # two folders: not a path the user got wrong
        fails(FileExistsError(17, "File exists", "/tmp"))


def test_run_again_from_the_run_folders_own_recipe_copy(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        json.dumps(
            {
                "name": "t",
                "output_dir": str(tmp_path / "runs"),
                "precision": "fp32",
                "model": {"name": "tiny"},
                "eval": {"suites": ["harmful"], "limit": 1, "max_new_tokens": 2},
            }
        )
    )
    assert runner.invoke(app, ["run", str(recipe)]).exit_code == 0
    copy = tmp_path / "runs" / "t" / "recipe.source.yaml"
    result = runner.invoke(app, ["run", str(copy)])
    assert result.exit_code == 0, result.output
    assert json.loads(copy.read_text())["name"] == "t"  # the copy is intact


def test_sft_starts_from_a_lora_adapter(tmp_path):
    import torch

    from safealign.models import load_model

    data = write_rows(tmp_path / "rows.jsonl")
    first = runner.invoke(
        app,
        [
            "sft",
            str(tiny_recipe(tmp_path, data, method="lora", learning_rate=1e-2)),
            "--out",
            str(tmp_path / "first"),
        ],
    )
    assert first.exit_code == 0, first.output
    adapter = tmp_path / "first" / "adapter"
    for method in ("full", "lora"):  # the adapter is merged into its base, then trained as a plain model
        recipe = tiny_recipe(tmp_path, data, method=method, learning_rate=1e-2)
        result = runner.invoke(
            app, ["sft", str(recipe), "--model", str(adapter), "--out", str(tmp_path / method)]
        )
        assert result.exit_code == 0, result.output
    # The second adapter's base is the first adapter (merged), so loading it gives the merged model SFT saved.
    second = load_model(str(tmp_path / "lora" / "adapter"))
    saved = load_model(str(tmp_path / "lora" / "model"))
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(second.model(ids).logits, saved.model(ids).logits, atol=1e-4)


def test_a_model_folder_without_a_tokenizer_says_what_is_missing(tmp_path, tiny):
    tiny.model.save_pretrained(
        tmp_path / "model", safe_serialization=True
    )  # weights and config, no tokenizer
    result = runner.invoke(app, ["generate", str(tmp_path / "model"), "--prompt", "hi"])
    assert_clear_error(
        result, f"{tmp_path / 'model'} has no usable tokenizer (no tokenizer files)", "tokenizer.json"
    )


def test_a_gguf_file_that_is_not_gguf_says_so(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 Not Found</html>")
    result = runner.invoke(app, ["generate", str(fake), "--prompt", "hi"])
    assert_clear_error(result, f"{fake} is not a GGUF model", "GGUF magic bytes")


def test_resuming_from_a_checkpoint_without_weights_names_it(tmp_path):
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"))
    broken = tmp_path / "sft" / "checkpoint-5"
    broken.mkdir(parents=True)
    (broken / "trainer_state.json").write_text(json.dumps({"global_step": 5}))
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / "sft")])
    assert_clear_error(result, f"cannot resume from {broken}", "--no-resume", f"delete {broken}")
    assert (broken / "trainer_state.json").is_file()  # nothing deleted for the user
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / "sft"), "--no-resume"])
    assert result.exit_code == 0, result.output


def test_a_folder_where_a_file_is_needed_names_it(tmp_path, capsys):
    @friendly_errors
    def fails():
        (tmp_path / "out.json").mkdir()
        (tmp_path / "out.json").write_text("{}")

    with pytest.raises(typer.Exit):
        fails()
    stderr = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path / 'out.json'} is a folder; give a file path" in stderr and "Traceback" not in stderr, (
        stderr
    )


def test_a_safealign_home_that_links_nowhere_names_the_link(tmp_path, monkeypatch):
    link = tmp_path / "home"
    link.symlink_to(tmp_path / "unmounted" / "cache")
    monkeypatch.setenv("SAFEALIGN_HOME", str(link))
    result = runner.invoke(app, ["models", "list"])
    assert_clear_error(
        result,
        f"{link} is a link to {tmp_path / 'unmounted' / 'cache'}, which does not exist",
        "SAFEALIGN_HOME",
    )
