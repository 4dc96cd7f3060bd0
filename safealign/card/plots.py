"""The report's plots, drawn with matplotlib and returned as inline SVG (the page needs no network).

Each function returns an ``<svg …>`` string, or ``None`` when the run has nothing to plot, so the
report can say why a plot is absent instead of showing an empty frame.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

from safealign.card.run_folder import pct  # noqa: E402
from safealign.card.summary import discarded_steps  # noqa: E402

COLORS = {"base": "#9aa5b1", "sft": "#3b82f6", "rl": "#f59e0b", "student": "#10b981", "distill": "#10b981"}
# every split a pattern of its own where panels mix them: the dev split drawn plain read as in-distribution
SPLIT_HATCH = {"in_distribution": "", "held_out": "///", "dev": "xx", "all": "", "external": ".."}
STYLE = {
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "hatch.color": "white",
    "text.parse_math": False,
}  # labels are names (a suite file "cost_$^$.jsonl"), never math: "$" is a dollar sign
WIDE = (10, 3.4)  # inches: about the page's content width at 96 dpi, so text keeps its size


def to_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog); CSS scales it down on narrow pages. The same figure
    gives the same bytes: no date, and element ids salted by the figure's label (the plot's name: matplotlib salts them
    with a random uuid, so every rewrite of an unchanged report changed every plot's lines), distinct between a page's
    plots, whose ids share one HTML document."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": f"safealign-{fig.get_label()}"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg ", '<svg role="img" ', 1)


def eval_bars(rows: list[dict[str, Any]], labels: list[str]) -> str | None:
    """One panel per headline metric (and a borderline suite's answered rate): a bar per eval stage and split, with its 95% interval."""
    panels: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["overview"]:
            panels.setdefault(f"{row['suite']}: {row['name']}", []).append(row)
    if not panels or not labels:
        return None
    with plt.rc_context(STYLE):
        cols = min(3, len(panels))
        nrows = -(-len(panels) // cols)
        fig, axes = plt.subplots(nrows, cols, figsize=(3.6 * cols, 3.0 * nrows), squeeze=False)
        for ax, panel in zip(axes.flat, panels.values(), strict=False):
            width = 0.8 / len(panel)
            for k, row in enumerate(panel):
                for i, label in enumerate(labels):
                    entry = row["values"].get(label)
                    if not entry:
                        continue
                    x = i - 0.4 + width * (k + 0.5)
                    # at least 0: an interval written before 90088be ends a hair inside a 0% or 100% rate (0 of 11:
                    # low 2.8e-17; 6 of 6: high 0.9999999999999999), and matplotlib refuses a negative whisker
                    err = [
                        [max(0.0, entry["value"] - entry["low"])],
                        [max(0.0, entry["high"] - entry["value"])],
                    ]
                    ax.bar(
                        x,
                        entry["value"],
                        width * 0.9,
                        color=COLORS.get(label, "#6366f1"),
                        hatch=SPLIT_HATCH.get(row["split"], ""),
                    )
                    # The dot keeps a 0% visible; the whisker is the 95% interval.
                    ax.errorbar(x, entry["value"], yerr=err, fmt="o", ms=3, color="#111827", capsize=3, lw=1)
                    # the card's tables' format: 12.5% read "12%" here and 7.5% "8%"
                    ax.text(
                        x, entry["high"] + 0.03, pct(entry["value"]), ha="center", va="bottom", fontsize=7.5
                    )
            arrow = "higher is better" if panel[0]["higher_is_better"] else "lower is better"
            # a panel of one split names it (several get a legend): a dev or external suite's plain bars read as
            # in-distribution by the page's caption
            split = f"{panel[0]['split_name']}; " if len(panel) == 1 else ""
            ax.set_title(f"{panel[0]['title']}\n({split}{arrow})", fontsize=9.5)
            ax.set_xticks(range(len(labels)), labels)
            ax.set_ylim(0, 1.2)
            ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            if len(panel) > 1:
                handles = [
                    Patch(facecolor="#6b7280", hatch=SPLIT_HATCH.get(r["split"], ""), label=r["split_name"])
                    for r in panel
                ]
                ax.legend(handles=handles, fontsize=8, loc="upper left", frameon=False, ncol=2)
        for ax in list(axes.flat)[len(panels) :]:
            ax.axis("off")
        fig.tight_layout()
        fig.set_label("evals")
        return to_svg(fig)


def _series(metrics: list[dict[str, Any]], key: str, gaps: bool = False) -> tuple[list[int], list[float]]:
    """The steps that logged a number for ``key``, in order, and those numbers. A step logged twice keeps its last row:
    a stage resumed under a safealign before 198b660 kept the rows of the steps its crash undid and logged them again
    (the resumed session's rows are the steps its model holds), and the lines ran back from the crash to the checkpoint.
    ``gaps``: a step that logged ``key`` as null is NaN, where a line breaks (a reward that applies to some prompts only,
    at a step whose batch had none: TRL's mean of no value, written as null), not left out for the line to bridge.
    """
    points = {
        int(m["step"]): float(m[key]) if isinstance(m.get(key), int | float) else float("nan")
        for m in metrics
        if "step" in m and (isinstance(m.get(key), int | float) or (gaps and key in m and m[key] is None))
    }
    steps = sorted(points)
    return steps, [points[step] for step in steps]


def _legend_below(ax: Any, ncol: int = 4) -> None:
    ax.legend(fontsize=8.5, ncol=ncol, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def reward_curves(metrics: list[dict[str, Any]]) -> str | None:
    """Mean of each reward function per RL step (``rewards/<name>/mean``) and the weighted total."""
    names = sorted(
        {k.split("/")[1] for m in metrics for k in m if k.startswith("rewards/") and k.endswith("/mean")}
    )
    names = [
        name for name in names if _series(metrics, f"rewards/{name}/mean")[0]
    ]  # a reward logged only as null draws nothing
    if not names:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=WIDE)
        for name in names:
            steps, values = _series(metrics, f"rewards/{name}/mean", gaps=True)
            if steps:
                ax.plot(steps, values, marker="o", ms=3, lw=1.5, label=name)
        steps, values = _series(metrics, "reward")
        if steps:
            # a line through one point draws nothing: a stage that logged one step gets its total as a dot
            marker = "o" if len(steps) == 1 else "None"
            ax.plot(steps, values, color="#111827", lw=2.5, marker=marker, label="total (weighted)")
        ax.set_xlabel("RL step")
        ax.set_ylabel("mean reward")
        _legend_below(ax, ncol=min(7, len(names) + 1))
        fig.set_label("rewards")
        return to_svg(fig)


def gate_timeline(gates: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> str | None:
    """Safety and accuracy over RL steps: the gates' measurements, the same rates on the training batches, and gate
    events marked. Every series is a 0-1 rate on the gates' percent axis: the safety reward (-1 to +1) was drawn there
    once, and a run's collapse fell below the frame while its other points read as percentages."""
    training = (  # the rollout statistics (RolloutLog.stats) and the accuracy reward (0 or 1 per completion)
        ("safety/harmful_refusal_rate", "harmful refused (training batch)", "#10b981", "o"),
        ("safety/benign_refusal_rate", "over-refusal (training batch)", "#ef4444", "s"),
        ("rewards/accuracy/mean", "accuracy reward (training batch)", "#3b82f6", "^"),
    )
    keys = [key for key, _, _, _ in training]
    measured = [
        g for g in gates if any(isinstance(v, int | float) for v in (g.get("metrics") or {}).values())
    ]
    if not measured and not any(_series(metrics, key)[0] for key in keys):
        return None  # nothing but nulls: an empty frame would read as a plot of nothing
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=WIDE)
        for key, name, color, marker in (
            ("refusal", "harmful refused (gate)", "#10b981", "o"),
            ("over_refusal", "over-refusal (gate)", "#ef4444", "s"),
            ("accuracy", "reasoning accuracy (gate)", "#3b82f6", "^"),
        ):
            ax.plot(
                [g["step"] for g in gates],
                [g["metrics"].get(key) for g in gates],
                marker=marker,
                ms=7,
                lw=2,
                color=color,
                label=name,
                alpha=0.85,
                mfc="none",
                mew=2,
            )
        for key, name, color, marker in training:
            steps, values = _series(metrics, key)
            if steps:
                # points only: a batch has harmful prompts at some steps alone (7 of 20 in the quickstart), and a line
                # through the others drew rates at steps that measured none; shapes tell two points at one place apart
                ax.plot(steps, values, ls="none", marker=marker, ms=4, color=color, alpha=0.8, label=name)
        _mark_gates(ax, gates)
        # a rollback that goes on (rollback+lower_lr) restores the weights, not the step count (GateCallback leaves
        # global_step alone): training goes on at the next step number, so the shaded points are the discarded weights'
        ax.set_xlabel(
            "RL step (dotted line: gate passed; red line: breach and rollback; shaded: steps a rollback discarded)\n"
            "a rollback that goes on trains from the restored weights at the next step: the shaded points are the "
            "discarded weights'"
        )
        ax.set_ylabel("rate (share of items or completions)")
        ax.set_ylim(-0.05, 1.12)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        _legend_below(ax, ncol=3)
        fig.set_label("gates")
        return to_svg(fig)


def _mark_gates(ax: Any, gates: list[dict[str, Any]]) -> None:
    """A line per gate check; a breach's action named beside its line, inside the axes (centred on the last step it ran
    past the right edge), and the steps its rollback discarded shaded, from the step it rolled back to."""
    low, high = ax.get_xlim()  # the plotted steps' span, gates' included
    for g in gates:
        color = "#9ca3af" if g["passed"] else "#dc2626"
        ax.axvline(
            g["step"], color=color, ls=":" if g["passed"] else "-", lw=1 if g["passed"] else 2, zorder=0
        )
        if g["passed"]:
            continue
        label = g["action"]
        if isinstance(g.get("rolled_back_to"), int):
            ax.axvspan(g["rolled_back_to"], g["step"], color=color, alpha=0.08, lw=0, zorder=0)
            label += f" to step {g['rolled_back_to']}: {discarded_steps(g)} discarded"
        # the text ends at the line when the breach is in the right half of the axes, else starts there
        right = g["step"] > (low + high) / 2
        ax.annotate(
            label,
            (g["step"], 1.03),
            xytext=(-4 if right else 4, 0),
            textcoords="offset points",
            color=color,
            fontsize=8,
            ha="right" if right else "left",
        )


def loss_curves(series: dict[str, list[dict[str, Any]]]) -> str | None:
    """Training loss per step of the supervised stages (SFT, distillation)."""
    series = {k: v for k, v in series.items() if _series(v, "loss")[0]}
    if not series:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(WIDE[0], 2.8))
        for name, rows in series.items():
            ax.plot(*_series(rows, "loss"), marker="o", ms=3, label=name, color=COLORS.get(name))
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        _legend_below(ax)
        fig.set_label("loss")
        return to_svg(fig)
