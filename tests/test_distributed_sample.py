"""Two processes under `accelerate launch` on CPU (gloo) run the sample stage: rank 0 generates, judges and writes the
traces once; the other rank waits and returns the same finished stage. Run as a script, this file is each rank's driver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from launching import LAUNCH_CONFIG, free_port


def run_rank(stage_dir: Path, out: Path) -> None:
    """One rank: count this rank's generate calls and stage.json writes, run the stage, report what it returned."""
    import safealign.generation as generation
    import safealign.runs as runs
    from safealign.config import SampleConfig
    from safealign.distributed import process_index
    from safealign.stages.sample import run_sample

    calls = {"generated": 0, "finished": 0}
    generate, finish = generation.GenerationEngine.generate, runs.StageRecord.finish

    def counted_generate(self, *args, **kwargs):
        calls["generated"] += 1
        return generate(self, *args, **kwargs)

    def counted_finish(self, *args, **kwargs):
        calls["finished"] += 1
        return finish(self, *args, **kwargs)

    generation.GenerationEngine.generate, runs.StageRecord.finish = counted_generate, counted_finish
    cfg = SampleConfig(num_prompts=2, k=1, max_new_tokens=8, batch_size=2)
    result = run_sample(cfg, "tiny", stage_dir, precision="fp32")
    report = calls | {"path": str(result.model_path), "record": result.record}
    (out / f"rank{process_index()}.json").write_text(json.dumps(report))


def test_rank_zero_samples_and_every_rank_returns_the_finished_stage(tmp_path, tiny):
    """Every rank loaded the teacher, generated, judged and wrote traces.jsonl and stage.json (about 25 s).

    ``tiny`` makes sure the tokenizer folder exists before two ranks would race to create it."""
    stage_dir = tmp_path / "sample"
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(LAUNCH_CONFIG),
        "--main_process_port",
        str(free_port()),
        __file__,
        str(stage_dir),
        str(tmp_path),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert (rank0["generated"], rank0["finished"]) == (1, 1)
    assert (rank1["generated"], rank1["finished"]) == (0, 0), "rank 1 sampled or wrote the stage itself"
    assert rank0["record"] is not None and rank0["record"]["stage"] == "sample"
    assert (rank1["path"], rank1["record"]) == (rank0["path"], rank0["record"])
    assert rank0["path"] == str(stage_dir / "traces.jsonl")


if __name__ == "__main__":
    run_rank(Path(sys.argv[1]), Path(sys.argv[2]))
