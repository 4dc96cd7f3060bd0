"""The judge queue's draining (`monitor judge --once`): each test reproduces one defect found."""

from __future__ import annotations

import time

from test_monitor import FakeJudges
from typer.testing import CliRunner

import safealign.cli.monitor_cmd as monitor_cmd
from safealign.cli.main import app as cli
from safealign.monitor.store import Store
from safealign.monitor.worker import JudgeWorker


class SlowJudges(FakeJudges):
    """0.2 s a batch: a grader slower than the backlog needs."""

    def __init__(self) -> None:
        super().__init__()
        judge = self.harm.judge

        def harm(prompts, responses):
            time.sleep(0.2)
            return judge(prompts, responses)

        self.harm.judge = harm


def _queue(db: str, count: int) -> Store:
    store = Store(db)
    store.insert_exchanges(
        [{"prompt": f"p{i}", "response": "ok", "status": "queued", "queue": True} for i in range(count)]
    )
    return store


def test_a_drain_out_of_time_counts_what_it_left(tmp_path):
    store = _queue(f"sqlite:///{tmp_path}/m.db", 6)
    store.claim(1, lease_s=600)  # another worker's: neither judged here nor left for the next run
    worker = JudgeWorker(store, SlowJudges(), batch_size=1)
    judged = worker.drain(timeout_s=0.3, queued_now=True)
    assert 1 <= judged < 5 and worker.left == 5 - judged == store.backlog() - 1
    assert worker.drain(timeout_s=30, queued_now=True) == 5 - judged and worker.left == 0
    store.close()


def test_judge_once_out_of_time_says_how_many_are_left_and_exits_1(tmp_path, monkeypatch):
    # it stopped after its hour, said "judged N exchanges" and exited 0 with the rest of the backlog still queued
    db = f"sqlite:///{tmp_path}/m.db"
    _queue(db, 6).close()
    monkeypatch.setattr(monitor_cmd, "ONCE_TIMEOUT_S", 0.3)
    command = ["monitor", "judge", "--once", "--db", db, "--batch-size", "1"]
    result = CliRunner().invoke(cli, [*command, "--judge", "import:test_monitor_queue_review67:SlowJudges"])
    said = " ".join(result.output.split())
    judged = int(said.split("judged ")[1].split()[0])
    assert f"stopped after 0.3 s with {6 - judged} exchanges still queued" in said, said
    assert result.exit_code == 1
    monkeypatch.setattr(monitor_cmd, "ONCE_TIMEOUT_S", 3600.0)
    result = CliRunner().invoke(cli, [*command, "--judge", "import:test_monitor:FakeJudges"])
    said = " ".join(result.output.split())
    assert (
        f"judged {6 - judged} exchanges" in said and "still queued" not in said and result.exit_code == 0
    ), said
