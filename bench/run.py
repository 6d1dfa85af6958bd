"""Runs the scale benchmarks at one or more portfolio sizes, saves each size's figures, writes bench/RESULTS.md.

    make bench SIZE=100000                                    # one size, on a fresh database
    python -m bench.run --sizes 10000,100000,1000000          # several; each gets a fresh database
    python -m bench.run --sizes 100000 --reuse --modules payments   # one module on the database built before
    python -m bench.run --report                              # only the table and plot, from the saved figures
    python -m bench.run --sizes 1000000 --record import=/tmp/import1m.json   # keep figures of a run made by hand

Needs PostgreSQL (DATABASE_URL names the server; each size gets its own database, `<name>_bench_<size>`).
For each size: generate the bundle (cached in /tmp), create the database afresh, migrate, create the
collectors and import the bundle (measured beside COPY), then run each benchmark module in its own
process (so a module's memory never colours the next) and keep the JSON it prints. With --reuse an
existing database is only migrated, not rebuilt, so a module can be run again, or later, on it.

Each size's figures are merged into bench/results/<size>.json (a module run again replaces only its
own entry), and the table, the growth from size to size and the plot (bench/RESULTS.png, drawn by
bench/plot.py) are built from every saved file: RESULTS.md can be assembled from runs made at
different times. The generated part of RESULTS.md sits between two marker lines; the notes written
around it by hand are kept.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PER_COLLECTOR = 5000  # accounts per collector, about a real floor's load
DUNNING_WORKERS = 2  # worker processes for the sending benchmark: one per core of the reference machine
DUNNING_SENT = 100_000  # issue 6 times 100,000 reminders sent; where more are chosen the rest stay unsent
MODULES = ("kpis", "queue", "dunning", "payments")
# Worse than linear means growing more than 10% past the size factor: less is run-to-run noise.
LINEAR_SLACK = 1.1
BEGIN = "<!-- bench.run: generated from bench/results/*.json, edit around it -->"
END = "<!-- bench.run: end of generated part -->"


# Running the benchmarks


def _database_url(base: str, size: int) -> str:
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "collections"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{size}"))


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _run(args: list[str], env: dict, ok_codes=(0,)) -> str:
    print("  $", " ".join(args), flush=True)
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in ok_codes:
        raise RuntimeError(
            f"{' '.join(args)} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def _json_tail(output: str) -> dict:
    """The JSON object a benchmark module prints last (commands before it may print lines too)."""
    start = output.rfind("\n{")
    return json.loads(output[start + 1 :] if start >= 0 else output)


def _database_exists(url: str) -> bool:
    admin, name = _admin_url(url)
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    return (
        subprocess.run(["psql", admin, "-tAc", query], capture_output=True, text=True, check=True).stdout.strip() == "1"
    )


def _recreate(url: str) -> None:
    admin, name = _admin_url(url)
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True)


def _module_command(module: str) -> tuple[list[str], tuple[int, ...]]:
    """The command line of one module and the exit codes that still mean "figures printed"."""
    if module == "dunning":
        # --fresh so a reused database is chosen from afresh; exit 1 means duplicates, which the table shows.
        workers = ["--workers", str(DUNNING_WORKERS)] if os.environ.get("REDIS_URL") else []
        return ["-m", "bench.dunning", "--fresh", "--json", "--limit", str(DUNNING_SENT), *workers], (0, 1)
    return ["-m", f"bench.{module}"], (0,)


def _build(size: int, url: str, env: dict) -> dict:
    """A fresh database holding the generated portfolio of `size` accounts; returns the import's figures."""
    python = sys.executable
    collectors = [f"bench_c{i}" for i in range(1, max(2, size // PER_COLLECTOR) + 1)]
    bundle = Path(f"/tmp/bench_bundle_{size}")
    if not (bundle / "payments.csv").exists():
        _run(
            [python, "-m", "bench.generate_portfolio", "--accounts", str(size), "--out", str(bundle)]
            + ["--collectors", ",".join(collectors)],
            env,
        )
    _recreate(url)
    _run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    create = (
        "from accounts.services import user_create\n"
        f"for name in {collectors!r}: user_create(username=name, password='bench-' + name, role='collector')\n"
    )
    _run([python, "manage.py", "shell", "-c", create], env)
    figures = _json_tail(_run([python, "-m", "bench.imports", str(bundle)], env))
    # As autovacuum leaves a production database: statistics, and the visibility map set, without
    # which index-only scans and the queue's ranking read every heap page (next account p95 +15%).
    analyze = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
    _run([python, "manage.py", "shell", "-c", analyze], env)
    # Measured on the rows as they settle (vacuumed), not while autovacuum is still visiting them.
    figures |= _json_tail(_run([python, "-m", "bench.imports", "--schema-floor"], env))
    return figures


def _record(saved: dict, module: str, figures: dict, command: str, at: datetime.datetime | None = None) -> None:
    saved[module] = figures
    saved.setdefault("runs", {})[module] = {
        "at": (at or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": _machine(),
        "versions": _versions(),
    }


def run_size(size: int, base_url: str, *, modules: list[str], reuse: bool, results_dir: Path, command: str) -> dict:
    """Builds (or with `reuse`, keeps) the size's database, runs `modules` on it, saves after each step."""
    url = _database_url(base_url, size)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    saved = load_size(results_dir, size)
    if reuse and _database_exists(url):
        print(f"  reusing {url.rsplit('/', 1)[-1]}: migrate only", flush=True)
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    else:
        _record(saved, "import", _build(size, url, env), command)
        save_size(results_dir, saved)
    for module in modules:
        if not (ROOT / "bench" / f"{module}.py").exists():
            print(f"  bench/{module}.py does not exist: not run", flush=True)
            continue
        args, ok_codes = _module_command(module)
        try:
            figures = _json_tail(_run([sys.executable, *args], env, ok_codes))
        except (RuntimeError, ValueError) as error:
            # One module failing must not lose hours of the others' figures: the table shows it failed.
            print(f"  {module} failed: {error}", flush=True)
            figures = {"error": str(error).strip().splitlines()[-1][:300]}
        _record(saved, module, figures, command)
        save_size(results_dir, saved)
    return saved


def load_size(results_dir: Path, size: int) -> dict:
    path = results_dir / f"{size}.json"
    return json.loads(path.read_text()) if path.exists() else {"size": size}


def save_size(results_dir: Path, figures: dict) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{figures['size']}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")


def load_results(results_dir: Path) -> list[dict]:
    """Every saved size, smallest first."""
    found = [json.loads(path.read_text()) for path in results_dir.glob("*.json")] if results_dir.is_dir() else []
    return sorted(found, key=lambda r: r["size"])


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _versions() -> str:
    import django

    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"Python {platform.python_version()}, Django {django.get_version()}, {pg}"


# The table


def _get(figures: dict, *keys):
    """figures[k1][k2]..., or None where a module did not run or did not print that figure."""
    for key in keys:
        if not isinstance(figures, dict) or key not in figures:
            return None
        figures = figures[key]
    return figures


def _num(value, unit: str = "", places: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.{places}f}"
    return f"{text} {unit}".strip()


def _ratio(value, floor) -> str:
    return f"{value / floor:.2f}×" if value is not None and floor else "—"


def _latencies(figures: dict | None) -> str:
    values = [_get(figures, key) for key in ("p50_ms", "p95_ms", "p99_ms")]
    if None in values:
        return "—"
    return " / ".join(_num(v, places=1) for v in values) + " ms"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _import_rows(f: dict) -> list[tuple]:
    rows = [
        (
            f"import ({_num(f.get('rows'))} rows)",
            _num(f.get("import"), "s"),
            _num(f.get("copy_floor"), "s") + " (COPY)",
            _ratio(f.get("import"), f.get("copy_floor")),
            "≤ 3×",
        )
    ]
    if f.get("schema_floor"):
        alone = _ratio(f["schema_floor"], f.get("copy_floor"))
        schema = f"{_num(f['schema_floor'], 's')} (the schema's writes alone: {alone} COPY)"
        rows.append(
            (
                "import, against its rows written into the schema",
                _num(f.get("import"), "s"),
                schema,
                _ratio(f.get("import"), f["schema_floor"]),
                "—",
            )
        )
    rows.append(("import peak RSS", _num(f.get("peak_rss_mb"), "MB", 0), "—", "—", "flat as the portfolio grows"))
    return rows


def _kpi_rows(f: dict) -> list[tuple]:
    scan = _num(f.get("scan_floor"), "s") + " (scan)"
    night = f"KPI night, 1% changed ({_num(f.get('night_accounts'))} accounts)"
    return [
        (night, _num(f.get("night"), "s"), scan, _ratio(f.get("night"), f.get("scan_floor")), "≤ 3×"),
        (
            "KPI full rebuild",
            _num(f.get("rebuild"), "s"),
            _num(f.get("snapshot_floor"), "s") + " (snapshot)",
            _ratio(f.get("rebuild"), f.get("snapshot_floor")),
            "≤ 1.5×",
        ),
        (
            "kpi_report, one month",
            _num(f.get("kpi_report_month"), "s"),
            scan,
            _ratio(f.get("kpi_report_month"), f.get("scan_floor")),
            "≤ 5×",
        ),
    ]


def _dunning_rows(f: dict) -> list[tuple]:
    states = f.get("states") or {}
    settled, floor = f.get("settled_per_second"), _get(f, "noop_floor", "per_second")
    how = f"{f['workers']} worker processes" if f.get("workers") else f.get("mode", "—")
    counted = ", ".join(f"{n:,} {state}" for state, n in sorted(states.items(), key=lambda item: -item[1]))
    sending = f"dunning sending, {how} ({counted or 'no reminders'}; {_num(f.get('send_seconds'), 's', 1)})"
    projection = _duration(100_000 / settled) if settled else "—"
    duplicates = f.get("duplicates") or {}
    counts = [duplicates.get(k) for k in ("same_key", "sends_without_reminder", "sms_keys_twice")]
    return [
        (
            f"dunning selection ({_num(f.get('selected'))} chosen)",
            _num(f.get("selection_seconds"), "s"),
            "—",
            "—",
            "< 10 s at 1M",
        ),
        (
            sending,
            f"{_num(settled, places=0)} settled/s ({_num(f.get('sends_per_second'), places=0)} sent/s)",
            f"{_num(floor, places=0)} no-op tasks/s" if floor else "—",
            _ratio(settled, floor),
            "—",
        ),
        ("dunning: 100,000 reminders at that rate", projection, "—", "—", "< 2 min"),
        (
            "dunning duplicates (same key / send without reminder / SMS key twice)",
            " / ".join("—" if c is None else str(c) for c in counts),
            "—",
            "—",
            "0 / 0 / 0",
        ),
    ]


def _queue_rows(f: dict) -> list[tuple]:
    per = f"{_num(f.get('collectors'))} collectors × {_num(f.get('accounts_per_collector'))} accounts"
    rows = [
        (f"next account p50/p95/p99 ({per})", _latencies(f.get("next_account")), "—", "—", "p95 < 25 ms"),
        ("queue page p50/p95/p99, one client", _latencies(f.get("queue_page")), "—", "—", "p99 < 300 ms"),
    ]
    load = f.get("load")
    label = f"queue page, {load['users']} concurrent collectors" if load else "queue page, concurrent collectors"
    if not load:
        return [*rows, (label, "not run", "", "", "≥ 0.75× floor, p99 < 300 ms")]
    page, floor = load.get("queue_page") or {}, load.get("floor") or {}
    failures = page.get("failures")
    figure = f"{_num(page.get('pages_per_s'), places=1)} pages/s, p99 {_num(page.get('p99_ms'), 'ms', 0)}"
    if failures:
        figure += f", {failures:,} failed"
    floor_text = (
        f"{_num(floor.get('pages_per_s'), places=1)} pages/s, p99 {_num(floor.get('p99_ms'), 'ms', 0)} (bare page)"
    )
    return [
        *rows,
        (
            label,
            figure,
            floor_text,
            _ratio(page.get("pages_per_s"), floor.get("pages_per_s")),
            "≥ 0.75× floor, p99 < 300 ms",
        ),
    ]


def _payments_rows(f: dict) -> list[tuple]:
    clients = f.get("clients", "—")
    reconciled = {True: "reconciled", False: "NOT reconciled"}.get(f.get("reconciled"), "—")
    figure = f"{_num(f.get('payments_per_s'), places=1)} payments/s"
    if f.get("requests_per_s"):
        figure += f" ({_num(f['requests_per_s'], places=1)} requests/s with resends)"
    floor = "—"
    if f.get("floor_per_s"):
        floor = f"{_num(f['floor_per_s'], places=1)} requests/s"
        floor += f", p99 {_num(f['floor_p99_ms'], 'ms', 0)} (API floor)" if f.get("floor_p99_ms") else " (API floor)"
    # bench.payments gives its own ratio (requests/s, resends included, over the floor's); else payments/s over it.
    ratio = (
        f"{f['ratio']:.2f}×" if f.get("ratio") is not None else _ratio(f.get("payments_per_s"), f.get("floor_per_s"))
    )
    mismatched = f" / {_num(f['mismatched'])} mismatched" if "mismatched" in f else ""
    return [
        (
            f"payments posted, {clients} concurrent clients ({_num(f.get('posted'))} posted)",
            f"{figure}, p50/p95/p99 {_latencies(f)}",
            floor,
            ratio,
            "≥ 300 payments/s",
        ),
        (
            "payments lost / doubled, ledger",
            f"{_num(f.get('lost'))} / {_num(f.get('doubled'))}{mismatched}, {reconciled}",
            "—",
            "—",
            "0 / 0, reconciled",
        ),
    ]


SECTIONS = (
    ("import", _import_rows),
    ("kpis", _kpi_rows),
    ("dunning", _dunning_rows),
    ("queue", _queue_rows),
    ("payments", _payments_rows),
)


def table_rows(figures: dict) -> list[tuple]:
    """(measure, figure, floor, ratio, target) rows of one size; a module absent or failed is one row saying so."""
    rows = []
    for module, rows_of in SECTIONS:
        found = figures.get(module)
        if not found:
            rows.append((module, "not run", "", "", ""))
        elif "error" in found:
            rows.append((module, "failed: " + found["error"].replace("|", "\\|"), "", "", ""))
        else:
            rows += rows_of(found)
    return rows


# Growth from size to size; bench/plot.py draws the same measures


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str  # "s", "ms" or "MB"
    value: Callable[[dict], float | None]
    floor: Callable[[dict], float | None] = lambda figures: None


def _per(count, rate):
    return count / rate if count is not None and rate else None


MEASURES = (
    Measure("import", "s", lambda r: _get(r, "import", "import"), lambda r: _get(r, "import", "copy_floor")),
    Measure("import peak RSS", "MB", lambda r: _get(r, "import", "peak_rss_mb")),
    Measure("KPI night", "s", lambda r: _get(r, "kpis", "night"), lambda r: _get(r, "kpis", "scan_floor")),
    Measure("KPI full rebuild", "s", lambda r: _get(r, "kpis", "rebuild"), lambda r: _get(r, "kpis", "snapshot_floor")),
    Measure(
        "kpi_report, one month",
        "s",
        lambda r: _get(r, "kpis", "kpi_report_month"),
        lambda r: _get(r, "kpis", "scan_floor"),
    ),
    Measure("dunning selection", "s", lambda r: _get(r, "dunning", "selection_seconds")),
    Measure(
        "dunning sending",
        "s",
        lambda r: _get(r, "dunning", "send_seconds"),
        # The floor: turning round as many no-op tasks as there were reminders to send.
        lambda r: _per(_get(r, "dunning", "sent_sample"), _get(r, "dunning", "noop_floor", "per_second")),
    ),
    Measure("next account p95", "ms", lambda r: _get(r, "queue", "next_account", "p95_ms")),
    Measure("queue page p99, one client", "ms", lambda r: _get(r, "queue", "queue_page", "p99_ms")),
    Measure(
        "queue page p99, concurrent collectors",
        "ms",
        lambda r: _get(r, "queue", "load", "queue_page", "p99_ms"),
        lambda r: _get(r, "queue", "load", "floor", "p99_ms"),
    ),
    Measure(
        "queue page, ms per page (concurrent)",
        "ms",
        lambda r: _per(1000, _get(r, "queue", "load", "queue_page", "pages_per_s")),
        lambda r: _per(1000, _get(r, "queue", "load", "floor", "pages_per_s")),
    ),
    Measure(
        "payment p99, concurrent clients",
        "ms",
        lambda r: _get(r, "payments", "p99_ms"),
        lambda r: _get(r, "payments", "floor_p99_ms"),
    ),
    Measure(
        "payments, ms per payment (concurrent)",
        "ms",
        lambda r: _per(1000, _get(r, "payments", "payments_per_s")),
        lambda r: _per(1000, _get(r, "payments", "floor_per_s")),
    ),
)


def measure_value(measure_fn, figures: dict):
    """A measure's figure at one size, or None where it was not measured (a log axis takes only positives)."""
    value = measure_fn(figures)
    return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def growth(results: list[dict]) -> list[dict]:
    """For each measure and each pair of neighbouring sizes: the measure's factor against the size factor."""
    rows = []
    for measure in MEASURES:
        steps = []
        for small, large in zip(results, results[1:], strict=False):
            size_factor = large["size"] / small["size"]
            a, b = measure_value(measure.value, small), measure_value(measure.value, large)
            fa, fb = measure_value(measure.floor, small), measure_value(measure.floor, large)
            factor = b / a if a and b else None
            steps.append(
                {
                    "from": small["size"],
                    "to": large["size"],
                    "size_factor": size_factor,
                    "factor": factor,
                    "floor_factor": fb / fa if fa and fb else None,
                    "worse_than_linear": factor is not None and factor > size_factor * LINEAR_SLACK,
                }
            )
        rows.append({"measure": measure.label, "unit": measure.unit, "steps": steps})
    return rows


def _growth_cell(step: dict) -> str:
    if step["factor"] is None:
        return "—"
    text = f"{step['factor']:.1f}×"
    if step["floor_factor"] is not None:
        text += f" (floor {step['floor_factor']:.1f}×)"
    return text + (" **worse than linear**" if step["worse_than_linear"] else "")


# RESULTS.md


def _distinct(results: list[dict], key: str) -> list[str]:
    seen = []
    for figures in results:
        for run in (figures.get("runs") or {}).values():
            if run.get(key) and run[key] not in seen:
                seen.append(run[key])
    return seen


def render(results: list[dict], *, plot: str | None, raw: list[str]) -> str:
    """The generated part of RESULTS.md: provenance, one table row per measure and size, growth, plot link."""
    dates = sorted(_distinct(results, "at"))
    lines = [
        f"- Measured: {dates[0]} to {dates[-1]}" if len(dates) > 1 else f"- Measured: {dates[0] if dates else '—'}",
        *(f"- Machine: {m}" for m in _distinct(results, "machine")),
        *(f"- Versions: {v}" for v in _distinct(results, "versions")),
        *(f"- Command: `{c}`" for c in _distinct(results, "command")),
        "",
        "Each figure is in seconds (latencies in ms) beside its floor measured in the same run; the ratio is",
        "figure / floor. Targets are those of issue 10. A module that was not run at a size says so.",
        "",
        "| size | measure | figure | floor | ratio | target |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for figures in results:
        for row in table_rows(figures):
            lines.append(f"| {figures['size']:,} | " + " | ".join(row) + " |")
    table = growth(results)
    if len(results) > 1:
        steps = table[0]["steps"]
        heads = [f"{s['from']:,} → {s['to']:,} (size {s['size_factor']:g}×)" for s in steps]
        lines += [
            "",
            "### Growth",
            "",
            "How much each measure grows from one size to the next, beside the size factor (linear = the",
            "size factor; flat is best) and, where it has one, its floor's growth. Flagged: more than 10% past",
            "the size factor.",
            "",
            "| measure | unit | " + " | ".join(heads) + " |",
            "|---|---|" + "---:|" * len(heads),
        ]
        for row in table:
            lines.append(f"| {row['measure']} | {row['unit']} | " + " | ".join(map(_growth_cell, row["steps"])) + " |")
        worse = [
            f"{row['measure']} ({s['from']:,} → {s['to']:,}: {s['factor']:.1f}× for {s['size_factor']:g}× the accounts)"
            for row in table
            for s in row["steps"]
            if s["worse_than_linear"]
        ]
        lines += ["", "Worse than linear: " + "; ".join(worse) + "." if worse else "Nothing grows worse than linear."]
    if plot:
        lines += ["", f"![Each measure against the portfolio size, log-log; floors dashed]({plot})"]
    lines += ["", "Raw figures: " + ", ".join(f"[{name}]({name})" for name in raw) + "."]
    return "\n".join(lines)


def write_results(
    results: list[dict], path: Path, *, results_dir: Path | None = None, plot: bool = True
) -> Path | None:
    """Writes the generated part into `path` (keeping what surrounds it) and the plot beside it; returns the PNG."""
    from bench import plot as plotting

    png = plotting.write_plot(results, path.with_suffix(".png")) if plot else None
    raw_dir = results_dir or RESULTS_DIR
    raw = [os.path.relpath(raw_dir / f"{r['size']}.json", path.parent) for r in results]
    block = f"{BEGIN}\n{render(results, plot=png.name if png else None, raw=raw)}\n{END}"
    text = path.read_text() if path.exists() else "# Scale benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        title, _, notes = text.partition("\n")
        text = f"{title}\n\n{block}\n{notes}"
    path.write_text(text if text.endswith("\n") else text + "\n")
    return png


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes are whole numbers of accounts separated by commas, not {text!r}")
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be at least one account, not {text!r}")
    return sizes


def record_files(size: int, pairs: list[str], *, results_dir: Path) -> None:
    """Merges JSON a module printed in a run made by hand (MODULE=FILE) into the size's saved figures."""
    saved = load_size(results_dir, size)
    for pair in pairs:
        module, _, name = pair.partition("=")
        if module not in ("import", *MODULES) or not name:
            raise SystemExit(
                f"--record takes MODULE=FILE with MODULE among import, {', '.join(MODULES)}; not {pair!r}."
            )
        try:
            figures = _json_tail(Path(name).read_text())
            written = datetime.datetime.fromtimestamp(Path(name).stat().st_mtime, datetime.UTC)
        except (OSError, ValueError) as error:
            raise SystemExit(f"{name} holds no JSON figures: {error}")
        _record(saved, module, figures, f"recorded from {name}", at=written)
    save_size(results_dir, saved)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=_sizes, default=[], help="one portfolio size")
    parser.add_argument("--sizes", type=_sizes, default=[], help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--modules", default=",".join(MODULES), help="benchmarks to run after the import")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a size's database if it exists (no generation or import)"
    )
    parser.add_argument(
        "--report", action="store_true", help="run nothing: rebuild RESULTS.md and the plot from the saved figures"
    )
    parser.add_argument(
        "--record",
        action="append",
        default=[],
        metavar="MODULE=FILE",
        help="run nothing: save a module's JSON from a run made by hand as the figures of --sizes (one size)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where each size's JSON is saved")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        raise SystemExit(f"Unknown module {', '.join(unknown)}: choose among {', '.join(MODULES)}.")
    failed = []
    if args.record:
        if len(args.sizes or args.size) != 1:
            raise SystemExit("--record needs exactly one size: --sizes N.")
        record_files((args.sizes or args.size)[0], args.record, results_dir=args.results_dir)
    elif not args.report:
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith("postgres"):
            raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name")
        sizes = args.sizes or args.size or [10000]
        command = "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
        for size in sizes:
            print(f"== {size:,} accounts", flush=True)
            saved = run_size(
                size, base, modules=modules, reuse=args.reuse, results_dir=args.results_dir, command=command
            )
            failed += [f"{module} at {size:,}" for module in modules if "error" in (saved.get(module) or {})]
    results = load_results(args.results_dir)
    if not results:
        raise SystemExit(f"No saved figures in {args.results_dir}: run some sizes first.")
    png = write_results(results, args.out, results_dir=args.results_dir)
    print(f"Written {args.out}" + (f" and {png}" if png else " (no plot: matplotlib is not installed)"))
    if failed:
        print("Failed (see the table): " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
