"""README.md and docs/*.md against the code, for a user who copies from them: every `safealign ...` command shown
names a real subcommand and real options, every `make` target exists, every repository path named exists, every
`$SAFEALIGN_*` variable named is read, every option shown for a benchmark or script is one it declares, and every
`section.field` named is a recipe field. Nothing is run: the CLI tree comes from typer, the fields from the schema."""

from __future__ import annotations

import glob
import itertools
import re
import shlex
import typing
from functools import cache
from pathlib import Path

import typer
from pydantic import BaseModel
from typer.core import TyperOption

from safealign.cli.main import app
from safealign.config.recipe import Recipe

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# fenced blocks in these languages hold program text, where "safealign trains on ..." is prose, not a command
NOT_SHELL = ("python", "json", "yaml")
# cut a command line at the shell's operators and comments
SHELL_END = re.compile(r"\s(?:\||\|\||&&|;|&|>|2>|#)(?:\s|$)")
# `$ `, `VAR=value ` and a path to the executable before the command; `-m safealign.cli.main` is the same CLI
COMMAND_START = re.compile(
    r"^(?:\$\s+)?(?:[A-Z_]+=\S*\s+)*(?:\S*/)?(?:safealign|python3?\s+-m\s+safealign(?:\.cli\.main)?)\s"
    r"|\s-m\s+safealign(?:\.cli\.main)?\s"
)
REPO_PATH = re.compile(
    r"(?<![\w/.~$-])((?:recipes|benchmarks|safealign|docs|tests|scripts)/[\w./*{},-]*[\w*}/])"
)
NOT_RECIPE_FIELDS = {"model.generate"}  # transformers' method, named beside the decode loop


def snippets(path: Path) -> list[tuple[int, str, bool]]:
    """(line, text, from a shell block) for each line of a fenced block (backslash continuations joined) and each
    inline code span (a span may wrap onto the next line of its paragraph)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out, fence, paragraph = [], None, []

    def spans() -> None:
        text = " ".join(line for _, line in paragraph)
        for match in re.finditer(r"(`+)(.+?)\1", text):
            out.append((paragraph[0][0], match.group(2), False))
        paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            spans()
            fence = None if fence is not None else line.strip().strip("`")
        elif fence is not None:
            start = index
            while line.rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                line = line.rstrip()[:-1] + " " + lines[index].strip()
            if not fence.startswith(NOT_SHELL):
                out.append((start + 1, line.strip(), True))
                out.extend((start + 1, m.group(2), False) for m in re.finditer(r"(`+)(.+?)\1", line))
        elif line.strip():
            paragraph.append((index + 1, line))
        else:
            spans()
        index += 1
    spans()
    return out


@cache
def cli_tree() -> dict[str, tuple[set[str], set[str]]]:
    """'safealign monitor judge' -> (its options, its subcommands)."""
    tree = {}

    def walk(command, path: str) -> None:
        options = {
            o for p in command.params if isinstance(p, TyperOption) for o in (*p.opts, *p.secondary_opts)
        }
        subcommands = getattr(command, "commands", None) or {}
        tree[path] = (options | {"--help"}, set(subcommands))
        for name, sub in subcommands.items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "safealign")
    return tree


def commands_shown() -> list[tuple[str, list[str]]]:
    """(where, the command's words after `safealign`) for every command line the docs show, except one shown with the
    CLI's own refusal of it below (an example of a misspelt option: "No such option")."""
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").split("\n")
        for line, text, in_block in snippets(path):
            match = COMMAND_START.search(text)
            if match is None or (in_block and match.start() > 0 and "-m" not in match.group()):
                continue
            if re.search(r"No such (?:option|command)", "\n".join(lines[line - 1 : line + 3])):
                continue
            rest = SHELL_END.split(text[match.end() :])[0]
            try:
                words = shlex.split(rest)
            except ValueError:  # an unpaired quote in an elided example
                words = rest.split()
            found.append((f"{path.relative_to(ROOT)}:{line}: {text.strip()[:120]}", words))
    return found


def test_every_safealign_command_shown_has_its_subcommand_and_options():
    tree, problems = cli_tree(), []
    shown = commands_shown()
    assert len(shown) > 100, "the docs' commands were not found: the extraction is broken"
    for where, words in shown:
        command, rest = "safealign", list(words)
        while rest and tree[command][1] and not rest[0].startswith(("-", "[")):
            if f"{command} {rest[0]}" not in tree:
                problems.append(f"{where}\n    no command '{command} {rest[0]}'")
                break
            command = f"{command} {rest.pop(0)}"
        for word in rest:
            option = word.strip("[]").split("=")[0].rstrip(",")
            if (
                re.fullmatch(r"--?[a-zA-Z][\w-]*", option)
                and option not in tree[command][0] | tree["safealign"][0]
            ):
                problems.append(f"{where}\n    '{command}' has no option {option}")
    assert not problems, "\n".join(problems)


def test_every_make_target_named_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    named = {
        (f"{path.relative_to(ROOT)}:{line}", target)
        for path in DOCS
        for line, text, _ in snippets(path)
        for target in re.findall(r"(?:^|[\s(])make\s+(?:[A-Z_]+=\S+\s+)*([a-z][\w-]*)", text)
    }
    assert {target for _, target in named} >= {"run", "test"}, "the docs' make commands were not found"
    missing = sorted(f"{where}: make {target}" for where, target in named if target not in targets)
    assert not missing, "\n".join(missing)


def expand(path: str) -> list[str]:
    """``a/{b,c}.json`` as ``a/b.json`` and ``a/c.json``."""
    parts = re.split(r"\{([^{}]*)\}", path)
    choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
    return ["".join(combination) for combination in itertools.product(*choices)]


def test_every_repository_path_named_exists():
    missing = []
    for path in DOCS:
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            for named in REPO_PATH.findall(line):
                for each in expand(named.rstrip(".,")):
                    if not glob.glob(str(ROOT / each)):
                        missing.append(f"{path.relative_to(ROOT)}:{number}: {each}")
    assert not missing, "\n".join(missing)


def test_every_safealign_environment_variable_named_is_read():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "safealign").rglob("*.py"))
    named = {
        v
        for path in DOCS
        for v in re.findall(r"\bSAFEALIGN_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8"))
    }
    assert "SAFEALIGN_HOME" in named
    unread = [v for v in sorted(named) if f'"{v}"' not in source]
    assert not unread, f"named in the docs, read nowhere in safealign/: {unread}"


def test_every_option_shown_for_a_benchmark_or_script_is_declared():
    undeclared, seen = [], 0
    for path in DOCS:
        for line, text, _ in snippets(path):
            for match in re.finditer(r"((?:benchmarks|scripts)/[\w/]+\.py)((?:\s+[^\s|;]+)*)", text):
                script, arguments = ROOT / match.group(1), SHELL_END.split(match.group(2))[0]
                seen += 1
                declared = set(re.findall(r"[\"'](--[\w-]+)[\"']", script.read_text(encoding="utf-8")))
                for option in re.findall(r"(?<![\w-])--[a-z][\w-]*", arguments):
                    if option not in declared:
                        undeclared.append(f"{path.relative_to(ROOT)}:{line}: {match.group(1)} {option}")
    assert seen > 10, "the docs' benchmark commands were not found"
    assert not undeclared, "\n".join(undeclared)


def recipe_fields(model: type[BaseModel] = Recipe, prefix: str = "") -> dict[str, bool]:
    """'rl.gates.limit' -> whether the field is a dict (whose keys the docs may name: `sft.datasets.reasoning`)."""
    fields = {}
    for name, field in model.model_fields.items():
        fields[prefix + name] = False
        for kind in (field.annotation, *typing.get_args(field.annotation)):
            if typing.get_origin(kind) is dict or kind is dict:
                fields[prefix + name] = True
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                fields |= recipe_fields(kind, f"{prefix}{name}.")
    return fields


def test_every_recipe_field_named_exists():
    fields, unknown = recipe_fields(), []
    assert fields["sft.datasets"] and "rl.gates.limit" in fields
    for path in DOCS:
        for line, text, in_block in snippets(path):
            match = re.fullmatch(
                r"((?:model|eval|sft|rl|sample|distill|monitor)(?:\.\w+)+)(?:\s*[:=].*)?", text
            )
            if in_block or match is None or match.group(1) in NOT_RECIPE_FIELDS:
                continue
            name = match.group(1)
            if name not in fields and not fields.get(name.rsplit(".", 1)[0]):
                unknown.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not unknown, "\n".join(unknown)
