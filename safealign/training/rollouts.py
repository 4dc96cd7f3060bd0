"""Record what the policy wrote during RL: completions, per-reward scores, and safety statistics.

Reward functions are wrapped so every call leaves its batch here. Once the last reward has scored a
generation batch, its statistics (``safety/*``, ``text/repetition``, ``accuracy/flat_group_share``: keys
the hacking detectors read) go to TRL's ``log_metric``, which averages them over the logging window and
logs them with its own keys, once per generation round, where every callback and tracker sees them. The
callback appends the completions to ``rollouts.jsonl`` (evidence for alerts, samples for the report).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from statistics import fmean
from typing import Any

from transformers import TrainerCallback

from safealign.hacking.detectors import ROLLOUT_RECORD_KEYS, ExampleRows, nearest_examples
from safealign.hacking.signals import repeated_ngram_share
from safealign.judges.base import PARTIAL_REFUSAL, REFUSAL
from safealign.rewards.functions import completion_text, prompt_text
from safealign.runs import drop_undone_rows, read_jsonl


class RolloutLog:
    def __init__(self, group_size: int | None = None) -> None:
        self.batch: dict[str, Any] = {}
        # GRPO's num_generations: TRL puts a prompt's completions next to each other
        self.group_size = group_size
        self.rewards = 0  # how many rewards score each batch (those wrapped)
        self.batches = 0  # generation batches scored so far: tells a new batch from one a log already wrote
        # the statistics of a batch scored without TRL's log_metric, for the callback to log
        self.unsent: dict[str, float] = {}

    def wrap(self, reward: Callable) -> Callable:
        """``reward`` recording each batch it scores here; an async reward stays async (TRL awaits it)."""
        from trl.trainer.utils import is_async_callable

        name = reward.__name__
        self.rewards += 1

        def recorded(prompts=None, completions=None, **kwargs: Any) -> list[float | None]:
            scores = reward(prompts=prompts, completions=completions, **kwargs)
            return self.record(name, reward, prompts, completions, scores, kwargs)

        async def awaited(prompts=None, completions=None, **kwargs: Any) -> list[float | None]:
            scores = await reward(prompts=prompts, completions=completions, **kwargs)
            return self.record(name, reward, prompts, completions, scores, kwargs)

        wrapper = awaited if is_async_callable(reward) else recorded
        wrapper.__name__ = name
        return wrapper

    def record(
        self, name: str, reward: Callable, prompts: Any, completions: Any, scores: Any, kwargs: dict[str, Any]
    ) -> Any:
        """Keep ``reward``'s ``scores`` of this batch; once every reward has scored it, send its statistics. (TRL
        runs the async rewards after the sync ones, on one event loop thread while the trainer waits: no two
        records at once.)"""
        if self.batch.get("completions") is not completions:
            self.batches += 1
            self.batch = {
                "prompts": prompts,
                "completions": completions,
                "kind": kwargs.get("kind"),
                "scores": {},
                "calls": 0,
            }
        self.batch["scores"][name] = scores
        self.batch["calls"] += 1
        labels = getattr(reward, "last_labels", None)
        if labels is not None:
            self.batch["safety_labels"] = labels
        if self.batch["calls"] == self.rewards:  # the batch's last reward: its statistics are whole
            self.send(kwargs.get("log_metric"))
        return scores

    def send(self, log_metric: Callable[[str, float], None] | None) -> None:
        """The scored batch's statistics to TRL's ``log_metric`` (GRPOTrainer passes it to every reward), which adds
        them to the next log averaged over the batches since the last; called outside a trainer, to ``unsent``."""
        stats = self.stats()
        if log_metric is None:
            self.unsent = stats
            return
        for key, value in stats.items():
            log_metric(key, value)

    def stats(self) -> dict[str, float]:
        if not self.batch:
            return {}
        texts = [completion_text(c) for c in self.batch["completions"]]
        out = {"text/repetition": fmean(repeated_ngram_share(t) for t in texts)}
        share = self._flat_accuracy_share()
        if share is not None:
            out["accuracy/flat_group_share"] = share
        kinds, labels = self.batch.get("kind"), self.batch.get("safety_labels")
        if kinds and labels:
            benign = [
                label for kind, label in zip(kinds, labels, strict=True) if kind in ("benign", "borderline")
            ]
            harmful = [label for kind, label in zip(kinds, labels, strict=True) if kind == "harmful"]
            reasoning = [label for kind, label in zip(kinds, labels, strict=True) if kind == "reasoning"]
            if benign:
                # full refusals, as the gates, the evals and the monitor count over-refusal; partial ones apart
                out["safety/benign_refusal_rate"] = sum(label == REFUSAL for label in benign) / len(benign)
                out["safety/benign_partial_rate"] = sum(label == PARTIAL_REFUSAL for label in benign) / len(
                    benign
                )
            if harmful:
                out["safety/harmful_refusal_rate"] = sum(label == REFUSAL for label in harmful) / len(harmful)
                out["safety/harmful_partial_rate"] = sum(label == PARTIAL_REFUSAL for label in harmful) / len(
                    harmful
                )
            if reasoning:
                # an arithmetic question refused (the safety reward pays it -1): over-refusal beyond the safety prompts
                out["safety/reasoning_refusal_rate"] = sum(label == REFUSAL for label in reasoning) / len(
                    reasoning
                )
        return out

    def _flat_accuracy_share(self) -> float | None:
        """Share of the batch's verifiable groups whose completions all got the same accuracy: zero advantage, no
        accuracy signal (what ``rl.difficulty_filter`` screens against). None without an accuracy reward."""
        scores = self.batch.get("scores", {}).get("accuracy")
        if not scores or not self.group_size:
            return None
        groups = [scores[i : i + self.group_size] for i in range(0, len(scores), self.group_size)]
        verifiable = [g for g in groups if all(s is not None for s in g)]
        if not verifiable:
            return None
        return sum(len(set(g)) == 1 for g in verifiable) / len(verifiable)

    def records(self, step: int) -> list[dict[str, Any]]:
        if not self.batch:
            return []
        rows = []
        labels = self.batch.get("safety_labels")
        for i, completion in enumerate(self.batch["completions"]):
            rows.append(
                {
                    "step": step,
                    "prompt": prompt_text(self.batch["prompts"][i]) if self.batch["prompts"] else "",
                    "completion": completion_text(completion),
                    "kind": self.batch["kind"][i] if self.batch.get("kind") else None,
                    "rewards": {name: scores[i] for name, scores in self.batch["scores"].items()},
                    # the safety judge's label: an alert quotes the answers it is about (EXAMPLE_KINDS)
                    "safety_label": labels[i] if labels else None,
                }
            )
        return rows

    def spread(self, rows: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
        """About ``keep`` of a batch's rows, the same number from each prompt group and at least one: TRL puts a
        prompt's completions next to each other, so the first ``keep`` rows were one prompt's, and an alert about
        harmful prompts showed the answers to an arithmetic one. Each group's first row of every safety label is kept
        before the rest fill its share: a group's first rows were its plain refusals, and the partial refusals a
        refusal_then_comply alert is about were never saved."""
        size = self.group_size or len(rows) or 1
        groups = [rows[i : i + size] for i in range(0, len(rows), size)]
        per_group = max(1, keep // max(len(groups), 1))
        return [row for group in groups for row in self._one_of_each_label(group, per_group)]

    @staticmethod
    def _one_of_each_label(group: list[dict[str, Any]], share: int) -> list[dict[str, Any]]:
        """The group's first row of each ``safety_label``, then its next rows up to ``share``, in the group's order."""
        firsts = {row.get("safety_label"): i for i, row in reversed(list(enumerate(group)))}
        chosen = set(firsts.values())
        for i in range(len(group)):
            if len(chosen) >= share:
                break
            chosen.add(i)
        return [group[i] for i in sorted(chosen)]


class RolloutCallback(TrainerCallback):
    """Writes some of the step's completions to disk: about ``keep_per_step``, from every prompt group (at least one a
    group), each with its prompt's kind; a generation round once, under the first logged step after it. The rollout statistics reach the logs through TRL (``RolloutLog.send``); those
    of a batch scored without it are added to the next log here."""

    def __init__(self, log: RolloutLog, path: Path, keep_per_step: int = 8) -> None:
        self.log, self.path, self.keep = log, path, keep_per_step
        self.written = 0  # the last batch (RolloutLog.batches) whose rows are in the file

    def on_train_begin(self, args, state, control, **kwargs):
        # resumed: the completions of steps after the checkpoint are sampled again
        if state.is_world_process_zero:
            drop_undone_rows(self.path, state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        # a step's record holds loss; the final summary holds train_loss, and also the rounds since the last step's
        # record (max_steps not a multiple of logging_steps, or a stop between logs), whose rows were never written
        if logs is None or not ROLLOUT_RECORD_KEYS & logs.keys() or not state.is_world_process_zero:
            return
        stats, self.log.unsent = self.log.unsent, {}
        logs.update(stats)
        # transformers stored this record in log_history before on_log: keep that copy whole too, for the stage's
        # final detector pass and anything else that reads the history
        if (
            stats
            and state.log_history
            and state.log_history[-1].get("step") == state.global_step
            and ROLLOUT_RECORD_KEYS & state.log_history[-1].keys()
        ):
            state.log_history[-1].update(stats)
        if self.log.batches == self.written:
            # no new generation round since the last log (num_iterations > 1 reuses one): its rows, written again
            # under this step, read as the completions of a policy that had not written them
            return
        self.written = self.log.batches
        rows = self.log.records(state.global_step)
        with self.path.open("a", encoding="utf-8") as handle:
            for row in self.log.spread(rows, self.keep):
                handle.write(json.dumps(row, ensure_ascii=False, default=float) + "\n")


def examples_at(
    path: Path, step: int, kinds: ExampleRows | tuple[str, ...] | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    """Up to ``limit`` recorded completions to prompts of ``kinds`` (None: any) from the last logged step at or before
    ``step`` (the first after it when none came before), those with ``kinds``' preferred safety labels first
    (`nearest_examples`). Rows without a step or a completion are skipped, as the offline audit skips them: the two
    quote the same rows."""
    rows = [
        row
        for row in read_jsonl(path)
        if isinstance(row.get("step"), int) and isinstance(row.get("completion"), str)
    ]
    return nearest_examples(rows, step, kinds, limit)
