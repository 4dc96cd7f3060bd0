"""docs/monitoring.md and docs/extending.md against the code, for a user who reads them: serve's refusal of a
--max-tokens above --max-tokens-limit is the line the page shows (it showed an older wording), the gateway's endpoint
table lists every route the gateway answers (it lacked `GET /v1/models/{id}`), `/health`'s degraded reasons include
the one for a database file moved away under the gateway (the page said degraded meant only a dead judge worker), and
the `sft` line shown for the own-data recipe is the one the stage logs for it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml
from fastapi.routing import APIRoute
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config.recipe import Recipe
from safealign.config.sections import MonitorConfig
from safealign.corpus import build_mixture
from safealign.monitor.gateway import create_gateway

ROOT = Path(__file__).resolve().parents[1]
MONITORING = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
EXTENDING = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")


def words(text: str) -> str:
    return " ".join(text.split())


def shown_after(command: str) -> str:
    """The `# ...` lines under ``command`` in a block of monitoring.md, joined into one line."""
    lines = MONITORING[MONITORING.index(command) + len(command) :].split("\n")[1:]
    return words(
        " ".join(line[1:] for line in lines[: next(i for i, s in enumerate(lines) if not s.startswith("#"))])
    )


def test_serve_max_tokens_above_the_limit_is_refused_as_monitoring_md_shows():
    command = "safealign serve tiny --port 8001 --max-tokens 100 --max-tokens-limit 64"
    result = CliRunner().invoke(
        app, command.split()[1:], terminal_width=300
    )  # refused before any model loads
    assert result.exit_code != 0
    assert shown_after(command) == words(result.output)


class NoJudges:
    refusal = harm = None


def test_the_gateway_endpoint_table_lists_every_route_it_answers(tmp_path):
    config = MonitorConfig(upstream="http://127.0.0.1:1", db=f"sqlite:///{tmp_path / 'm.db'}", api_key="k")
    gateway = create_gateway(config, judges=NoJudges(), start_worker=False)
    try:
        routes = {
            (method, route.path)
            for route in gateway.routes
            if isinstance(route, APIRoute)
            for method in route.methods
        }
        routes |= {("POST", path) for path in gateway.hot_paths}
    finally:
        gateway.state.store.close()
    table = MONITORING[
        MONITORING.index("| endpoint | key | what |") : MONITORING.index("The key comes from `--api-key`")
    ]
    listed = set(re.findall(r"^\| `([A-Z]+) (/\S+)` \|", table, flags=re.M))
    routes = {(method, re.sub(r"\{(\w+)(?::\w+)?\}", "{id}", path)) for method, path in routes}
    ours = {r for r in routes if not r[1].startswith(("/docs", "/redoc", "/openapi"))}
    assert ours - listed == set(), (
        f"the gateway answers these, docs/monitoring.md's table lacks them: {ours - listed}"
    )
    assert listed - ours == set(), (
        f"docs/monitoring.md lists these, the gateway has no such route: {listed - ours}"
    )


def test_health_degraded_for_a_moved_database_says_what_monitoring_md_shows(tmp_path):
    db = tmp_path / "runs" / "monitor.db"
    db.parent.mkdir()
    config = MonitorConfig(upstream="http://127.0.0.1:1", db=f"sqlite:///{db}", api_key="k")
    gateway = create_gateway(config, judges=NoJudges(), start_worker=False)
    try:
        db.rename(tmp_path / "elsewhere.db")
        reason = gateway.state.store.file_problem()
    finally:
        gateway.state.store.close()
    assert reason is not None
    block = MONITORING[MONITORING.index("### `/health`") : MONITORING.index("`degraded` means")]
    shown = re.search(r"# after runs/monitor\.db was moved away:\n((?:#.*\n)+)", block)
    assert shown, "docs/monitoring.md's /health block shows no degraded answer for a moved database"
    body = json.loads(words("".join(line[1:] for line in shown.group(1).splitlines())))
    assert body["status"] == "degraded"
    assert body["reason"] == words(reason.replace(str(db), "/home/you/runs/monitor.db"))


def test_the_sft_line_shown_for_the_own_data_recipe_is_the_one_logged(tmp_path, monkeypatch):
    """The mixture of extending.md's own-data recipe, from the page's own files: my_sft.jsonl is the two rows of "The
    one row form", mixed.messages.jsonl the converter's output for the three rows the page converts."""
    monkeypatch.chdir(tmp_path)
    rows = re.search(r"### The one row form\n.*?```json\n(.*?)```", EXTENDING, flags=re.S).group(1)
    Path("my_sft.jsonl").write_text(rows, encoding="utf-8")
    mixed = [
        {
            "conversations": [
                {"from": "human", "value": "What colour is a lemon?"},
                {"from": "gpt", "value": "Yellow."},
            ]
        },
        {"prompt": "What is 17 times 3?", "completion": "<think>17 x 3 = 51</think>51", "kind": "reasoning"},
        {"instruction": "Traduis en anglais", "input": "Bonjour", "output": "Hello", "language": "fr"},
    ]
    Path("mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mixed), encoding="utf-8")
    converter = re.search(r'```python\n("""to_messages\.py.*?)```', EXTENDING, flags=re.S).group(1)
    monkeypatch.setattr("sys.argv", ["to_messages.py", "mixed.jsonl", "mixed.messages.jsonl"])
    exec(compile(converter, "to_messages.py", "exec"), {"__name__": "__main__"})
    recipe_text = re.search(r"```yaml\n(name: own-data\n.*?)```", EXTENDING, flags=re.S).group(1)
    recipe = Recipe.model_validate(yaml.safe_load(recipe_text))
    mixture = build_mixture(recipe.sft.datasets, seed=recipe.seed)
    logged = f"sft: {len(mixture.rows)} rows ({mixture.manifest()['by_kind']}), sha256 {mixture.sha256[:12]}"
    shown = re.search(r"^INFO\s+(sft: \d+ rows .*)$", EXTENDING, flags=re.M).group(1)
    assert shown == logged


def test_readme_architecture_names_every_module_and_package_of_safealign():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Architecture\n\n```\n(safealign/\n.*?)```", readme, flags=re.S).group(1)
    named = set(re.findall(r"(?<![\w/.])(\w+(?:\.py|/))", block))
    package = ROOT / "safealign"
    present = {p.name for p in package.glob("*.py") if not p.name.startswith("__")}
    present |= {p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert "pipeline.py" in named and "serve/" in named, "the architecture block was not read"
    assert not present - named, f"README.md's architecture block does not name {sorted(present - named)}"


def test_the_defaults_shown_in_monitoring_md_synopses_are_the_commands_defaults():
    import typer
    from typer.core import TyperOption

    root = typer.main.get_command(app)
    blocks = re.findall(r"```\n(safealign [^\n]*\[.*?)```", MONITORING, flags=re.S)
    checked, wrong = 0, []
    for block in blocks:
        command = root
        for word in block.split()[1:]:
            if word.startswith(("-", "[")) or word.isupper():
                break
            command = command.commands[word]
        defaults = {o: p.default for p in command.params if isinstance(p, TyperOption) for o in p.opts}
        for option, shown in re.findall(r"\[(--[a-z][\w-]*) ([^\]|A-Z]+)\]", block):
            checked += 1
            default = defaults[option]
            if shown != str(default) and not (isinstance(default, float) and float(shown) == default):
                wrong.append(f"{block.split('[')[0].strip()} {option}: shown {shown}, default {default}")
    assert checked >= 15, "the synopses' defaults were not found"
    assert not wrong, "\n".join(wrong)


def snippet(page: str, opening: str) -> str:
    return re.search(rf"```python\n({re.escape(opening)}.*?)```", page, flags=re.S).group(1)


def test_the_judge_factories_shown_build_judges_the_worker_accepts(monkeypatch):
    """extending.md's myjudges.py and monitoring.md's my_judges.py, as `--judge import:...` loads them: their verdicts
    pass the worker's checks, and my_judges raises on "poison" as the page's judge_failed walk-through needs."""
    import types

    import pytest

    from safealign.monitor.worker import judge_exchanges

    pages = {
        "myjudges": (EXTENDING, '"""myjudges.py'),
        "my_judges": (MONITORING, "from safealign.judges.base"),
    }
    built = {}
    for name, (page, opening) in pages.items():
        module = types.ModuleType(name)
        monkeypatch.setitem(
            sys.modules, name, module
        )  # as an import makes it: @dataclass looks its module up
        exec(compile(snippet(page, opening), f"{name}.py", "exec"), module.__dict__)
        built[name] = module.build() if name == "myjudges" else module.make()
    mine = built["myjudges"]
    assert type(mine.refusal).__name__ == "RefusalJudge"
    # its harm judge beside my_judges' keyword refusal judge: safealign's refusal judge loads MiniLM (a minute here)
    results = judge_exchanges(
        type(mine)(refusal=built["my_judges"].refusal, harm=mine.harm),
        ["a", "b"],
        ["Wire the detonator to ...", "Paris."],
    )
    assert [r["harmful"] for r in results] == [True, False]
    assert [r["refused"] for r in judge_exchanges(built["my_judges"], ["hello"], ["I can't do that."])] == [
        True
    ]
    with pytest.raises(RuntimeError, match="poison"):
        judge_exchanges(built["my_judges"], ["poison"], ["ok"])


def test_the_brevity_reward_shown_registers_and_passes_the_reward_checks(monkeypatch):
    from safealign.rewards import REWARDS, build_rewards

    monkeypatch.setitem(REWARDS, "brevity", None)  # the snippet's registration is undone after the test
    code = snippet(EXTENDING, '"""Register a reward')
    exec(
        compile(code.split("\napp([")[0], "train_with_brevity.py", "exec"), {"__name__": "train_with_brevity"}
    )
    (reward,), _ = build_rewards({"brevity": 0.5}, {"max_completion_length": 8})
    assert reward(["a" * 40, "b"], kind=["harmful", "reasoning"]) == [-0.04, None]
