"""Draws bench/RESULTS.png: each benchmark measure against the portfolio size, log-log, floors dashed.

    python -m bench.plot [--results-dir bench/results] [--out bench/RESULTS.png]

Reads the figures bench.run saved (one JSON per size) and draws the measures bench.run's growth
table lists: seconds on the left, milliseconds on the right, one line per measure in its own colour
and its floor, where it has one, dashed in the same colour. On log-log axes a linear growth is a
slope of one, so a line steeper than its floor, or than the dotted "linear" guide, is the one to fix.
"""

import argparse
from pathlib import Path

PANELS = (("s", "seconds"), ("ms", "milliseconds"))


def _series(results: list[dict], fn) -> tuple[list[int], list[float]]:
    from bench.run import measure_value

    points = [(r["size"], v) for r in results if (v := measure_value(fn, r)) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def write_plot(results: list[dict], path: Path) -> Path | None:
    """Writes the PNG to `path` and returns it; None when matplotlib is not installed (requirements-dev.txt)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.pyplot as plt

    from bench.run import MEASURES

    sizes = [r["size"] for r in results]
    figure, axes = plt.subplots(1, len(PANELS), figsize=(14, 8), sharex=True)
    # Fixed margins (legends below the axes) rather than tight_layout, which draws the figure once more.
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.34, top=0.9, wspace=0.2)
    for ax, (unit, name) in zip(axes, PANELS, strict=True):
        colours = iter(plt.get_cmap("tab10").colors)
        drawn = False
        for measure in (m for m in MEASURES if m.unit == unit):
            xs, ys = _series(results, measure.value)
            if not xs:
                continue
            colour = next(colours)
            drawn = True
            ax.plot(xs, ys, marker="o", color=colour, label=measure.label)
            fx, fy = _series(results, measure.floor)
            if fx:
                ax.plot(fx, fy, linestyle="--", marker=".", color=colour, label="_nolegend_")
        if drawn and len(sizes) > 1:
            # A guide of slope one through the smallest size's median: what linear growth looks like.
            lows = [v for m in MEASURES if m.unit == unit for v in _series(results[:1], m.value)[1]]
            if lows:
                start = sorted(lows)[len(lows) // 2]
                ax.plot(sizes, [start * s / sizes[0] for s in sizes], linestyle=":", color="grey", label="linear")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("accounts")
        ax.set_ylabel(name)
        ax.set_title(f"Measures in {name}")
        ax.grid(True, alpha=0.3)
        if drawn:
            # A fixed place: "best" tries every position against every point, seconds on a busy machine.
            ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1))
        else:
            ax.text(0.5, 0.5, "no figures", transform=ax.transAxes, ha="center")
    figure.suptitle("Scale benchmarks against portfolio size (log-log; each floor dashed in its measure's colour)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv=None) -> int:
    from bench.run import RESULTS_DIR, ROOT, load_results

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.png")
    args = parser.parse_args(argv)
    results = load_results(args.results_dir)
    if not results:
        raise SystemExit(f"No saved figures in {args.results_dir}: run `python -m bench.run` first.")
    if write_plot(results, args.out) is None:
        raise SystemExit("matplotlib is not installed: pip install -r requirements-dev.txt")
    print(f"Written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
