"""Bad input ends in one line on stderr that names the problem and the fix, exit code 2, never a traceback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.corpus import read_rows_and_problems

runner = CliRunner()


def write_rows(path, n=6):
    rows = [
        {"id": f"m{i}", "kind": "benign", "messages": [{"role": "user", "content": f"Say word {i}."}, {"role": "assistant", "content": f"The word is banana {i}."}]}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def assert_clear_error(result, *needles):
    assert result.exit_code == 2, result.output  # an uncaught exception exits 1
    stderr = " ".join(result.stderr.split())  # rich wraps long lines
    assert stderr.startswith("error:") and "Traceback" not in stderr, stderr
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
