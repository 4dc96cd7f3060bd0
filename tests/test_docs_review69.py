"""docs/monitoring.md and docs/extending.md against the code, for a user who reads them: the request fields
`safealign serve` refuses are the ones the page lists (it listed ``ignore_eos``, which serve answers, and left out five
it refuses), each command synopsis shows every option of its command (serve's lacked --trust-remote-code), and the
`data check` line shown for the converted rows is the one the command prints (rows without a language count as en)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.serve.protocol import UNSUPPORTED_FIELDS, ChatRequest

ROOT = Path(__file__).resolve().parents[1]
MONITORING = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
EXTENDING = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")


def test_the_fields_serve_refuses_are_the_ones_monitoring_md_lists():
    start = MONITORING.index("Fields that ask for what a served")
    refused_text = MONITORING[start : MONITORING.index("are a 400 that names the field", start)]
    listed = set(re.findall(r"`([a-z_]+)`", refused_text))
    missing = sorted(set(UNSUPPORTED_FIELDS) - listed)
    assert not missing, f"serve refuses these, docs/monitoring.md does not say so: {missing}"
    answered = sorted(listed & set(ChatRequest.model_fields))  # fields serve reads and honours
    assert not answered, f"docs/monitoring.md lists these as refused, serve answers them: {answered}"


def test_every_command_synopsis_in_monitoring_md_shows_every_option():
    root = typer.main.get_command(app)
    blocks = re.findall(r"```\n(safealign [^\n]*\[.*?)```", MONITORING, flags=re.S)
    assert len(blocks) >= 4, "the synopses were not found"
    problems = []
    for block in blocks:
        command, path = root, ["safealign"]
        for word in block.split()[1:]:
            if word.startswith(("-", "[")) or word.isupper():
                break
            command = command.commands[word]
            path.append(word)
        options = {o for p in command.params if isinstance(p, TyperOption) and not p.hidden for o in p.opts}
        missing = sorted(options - set(re.findall(r"--[a-z][\w-]*", block)))
        if missing:
            problems.append(f"{' '.join(path)}: {missing}")
    assert not problems, "options missing from docs/monitoring.md's synopses:\n" + "\n".join(problems)


def test_the_data_check_line_shown_for_converted_rows_is_the_one_printed(tmp_path, monkeypatch):
    converter = re.search(r'```python\n("""to_messages\.py.*?)```', EXTENDING, flags=re.S).group(1)
    shown = re.search(r"^│ mixed\.messages\.jsonl .*│$", EXTENDING, flags=re.M).group(0)
    rows = [  # a ShareGPT row, a prompt/completion row of kind reasoning, an Alpaca row in French
        {
            "conversations": [
                {"from": "human", "value": "What colour is a lemon?"},
                {"from": "gpt", "value": "Yellow."},
            ]
        },
        {"prompt": "What is 17 times 3?", "completion": "<think>17 x 3 = 51</think>51", "kind": "reasoning"},
        {"instruction": "Traduis en anglais", "input": "Bonjour", "output": "Hello", "language": "fr"},
    ]
    (tmp_path / "mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["to_messages.py", "mixed.jsonl", "mixed.messages.jsonl"])
    exec(compile(converter, "to_messages.py", "exec"), {"__name__": "__main__"})
    result = CliRunner().invoke(app, ["data", "check", "mixed.messages.jsonl"], terminal_width=200)
    assert result.exit_code == 0, result.output

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("│").split("│")]

    printed = [cells(line) for line in result.output.splitlines() if "mixed.messages.jsonl │" in line]
    assert printed == [cells(shown)], (
        f"docs/extending.md shows {shown!r}; data check printed:\n{result.output}"
    )


def test_the_garak_script_asks_for_every_exchange_as_red_teaming_md_says():
    """Its closing advice asked for ?flagged=true, which drops the garak hits safealign judged safe: the disagreements
    docs/red-teaming.md says to read."""
    script = (Path(__file__).resolve().parents[1] / "scripts" / "redteam_garak.sh").read_text(encoding="utf-8")
    assert "/admin/exchanges.jsonl" in script and "exchanges.jsonl?flagged=true'" not in script
