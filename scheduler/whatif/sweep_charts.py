"""The sweep's charts as matplotlib figures and PNG bytes.

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot: no backend is
chosen, no window opens and no global figure list grows, so a command, a worker or a
notebook (which shows :func:`png` through ``IPython.display.Image``) can all draw them.

- :func:`placed_chart`: placed against demand, one line per staffing, with the line where
  everyone is placed; a filled marker is a proven placement, a hollow one found-not-proven.
- :func:`waitlist_heatmap`: the waitlist over admission rate × extra therapists, one panel
  per block variant.
- :func:`utilisation_chart`: hours booked over hours available per therapist and room,
  for the clinic as it is and with the most extra therapists, each at the highest rate it
  holds.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from scheduler.whatif.metrics import RunFailure, RunMetrics
from scheduler.whatif.sweep import Capacity, SweepResult


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (matplotlib's Agg renderer), without the software stamp."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def placed_chart(result: SweepResult) -> Figure:
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    low, top = float("inf"), 0
    for k, staffing in enumerate(result.staffings):
        # Lines of equal points lie on top of each other: each one thinner than the last,
        # so that every staffing still shows.
        width = max(1.0, 2.0 + 2.0 * (len(result.staffings) - 1 - k) / len(result.staffings))
        points = [
            (p.demand, p.metrics)
            for p in result.points
            if p.staffing == staffing and isinstance(p.metrics, RunMetrics)
        ]
        if not points:
            continue
        xs = [d for d, _ in points if d is not None]
        ys = [m.placed for _, m in points]
        (line,) = ax.plot(xs, ys, linewidth=width, label=staffing.label)
        proven = [(x, y) for x, y, (_, m) in zip(xs, ys, points, strict=True) if m.placement_proven]
        if proven:
            ax.plot(*zip(*proven, strict=True), "o", ms=2 * width + 2, color=line.get_color())
        unproven = [
            (x, y) for x, y, (_, m) in zip(xs, ys, points, strict=True) if not m.placement_proven
        ]
        if unproven:
            ax.plot(
                *zip(*unproven, strict=True),
                "o",
                ms=2 * width + 2,
                mfc="white",
                color=line.get_color(),
            )
        low, top = min(low, *xs), max(top, *xs)
    if top:
        ax.plot([low, top], [low, top], ":", color="grey", label="everyone placed")
    ax.set_xlabel("demand: patients to place this horizon")
    ax.set_ylabel("patients placed")
    ax.set_title("Placed against demand (filled: proven, hollow: found, not proven)")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def waitlist_heatmap(result: SweepResult) -> Figure:
    variants = list(dict.fromkeys(s.closed for s in result.staffings))
    extras = sorted({s.extra for s in result.staffings})
    fig = Figure(
        figsize=(max(5.0, 0.7 * len(result.rates) + 2) * len(variants), 1.5 + 0.6 * len(extras)),
        layout="constrained",
    )
    axes = fig.subplots(1, len(variants), squeeze=False)
    for ax, closed in zip(axes[0], variants, strict=True):
        grid: list[list[float]] = []
        for extra in extras:
            row = []
            for rate in result.rates:
                m = next(
                    p.metrics
                    for p in result.points
                    if p.staffing.extra == extra and p.staffing.closed == closed and p.rate == rate
                )
                row.append(float("nan") if isinstance(m, RunFailure) else float(m.waitlist))
            grid.append(row)
        worst = max((v for row in grid for v in row if v == v), default=0.0)  # NaN != NaN
        image = ax.imshow(
            grid, cmap="Reds", aspect="auto", origin="lower", vmin=0, vmax=max(worst, 1.0)
        )
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                text = "–" if value != value else f"{value:.0f}"  # NaN: no schedule
                dark = value == value and value > 0.6 * max(worst, 1.0)
                ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
        ax.set_xticks(range(len(result.rates)), [str(r) for r in result.rates])
        ax.set_yticks(range(len(extras)), [f"+{e}" for e in extras])
        ax.set_xlabel("new admissions a week")
        ax.set_ylabel("extra therapists")
        title = "Waitlist" + (f" without {' '.join(closed)}" if closed else "")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, label="patients without a place")
    return fig


def utilisation_chart(result: SweepResult) -> Figure:
    shown = _shown_capacities(result)
    fig = Figure(figsize=(10, 1.0 + 0.28 * _resources(result)), layout="constrained")
    axes = fig.subplots(1, 2, squeeze=False)
    for ax, kind in zip(axes[0], ("therapist", "room"), strict=True):
        width = 0.8 / max(1, len(shown))
        # Every therapist or room of any shown run, in clinic order (extras last).
        labels = list(dict.fromkeys(u.id for _, m in shown for u in m.uses if u.kind == kind))
        for k, (cap, m) in enumerate(shown):
            share = {u.id: u.share or 0.0 for u in m.uses if u.kind == kind}
            rate = "lowest rate" if cap.held is None else f"{cap.held} a week"
            ax.barh(
                [i + k * width for i in range(len(labels))],
                [100 * share.get(ident, 0.0) for ident in labels],
                height=width,
                label=f"{cap.staffing.label}, {rate}",
            )
        ax.set_yticks([i + width * (len(shown) - 1) / 2 for i in range(len(labels))], labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of available hours booked")
        ax.set_title(f"{kind.capitalize()} utilisation")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].legend(loc="lower right", fontsize="small")
    return fig


def _shown_capacities(result: SweepResult) -> list[tuple[Capacity, RunMetrics]]:
    """The first staffing and the one with the most extra therapists and the same blocks,
    each at the highest rate it holds (or the lowest rate when it holds none)."""
    first = result.capacities[0]
    chosen = [first]
    more = [c for c in result.capacities if c.staffing.closed == first.staffing.closed]
    if more[-1] is not first:
        chosen.append(more[-1])
    out = []
    for cap in chosen:
        rate = result.rates[0] if cap.held is None else cap.held
        m = result.point(cap.staffing, rate).metrics
        if isinstance(m, RunMetrics):
            out.append((cap, m))
    return out


def _resources(result: SweepResult) -> int:
    """The most therapists or rooms of any run: the charts' height."""
    count = 1
    for p in result.points:
        if isinstance(p.metrics, RunMetrics):
            count = max(
                sum(1 for u in p.metrics.uses if u.kind == "therapist"),
                sum(1 for u in p.metrics.uses if u.kind == "room"),
            )
    return count
