"""Runs every scale benchmark at one or more portfolio sizes and writes bench/RESULTS.md.

    make bench SIZE=100000                     # one size
    python -m bench.run --sizes 10000,100000   # several; each gets a fresh database

Needs PostgreSQL (DATABASE_URL names the server; each size gets its own database,
`<name>_bench_<size>`, dropped and created afresh). For each size: generate the bundle (cached in
/tmp), migrate, create the collectors, then run each benchmark module in its own process (so a
module's memory never colours the next) and collect its JSON: import vs COPY, KPI night/rebuild/
report vs their floors, dunning selection and sending, next account and queue page latency.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PER_COLLECTOR = 5000  # accounts per collector, about a real floor's load


def _database_url(base: str, size: int) -> str:
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "collections"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{size}"))


def _run(args: list[str], env: dict) -> str:
    print("  $", " ".join(args), flush=True)
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _json_tail(output: str) -> dict:
    """The JSON object a benchmark module prints last (commands before it may print lines too)."""
    start = output.rfind("\n{")
    return json.loads(output[start + 1 :] if start >= 0 else output)


def _recreate(url: str) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True)


def run_size(size: int, base_url: str, *, modules: list[str]) -> dict:
    python = sys.executable
    url = _database_url(base_url, size)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
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
    results = {"size": size}
    results["import"] = _json_tail(_run([python, "-m", "bench.imports", str(bundle)], env))
    _run(
        [
            python,
            "manage.py",
            "shell",
            "-c",
            "from django.db import connection; connection.cursor().execute('ANALYZE')",
        ],
        env,
    )
    if "kpis" in modules:
        results["kpis"] = _json_tail(_run([python, "-m", "bench.kpis"], env))
    if "queue" in modules:
        results["queue"] = _json_tail(_run([python, "-m", "bench.queue"], env))
    if "dunning" in modules and (ROOT / "bench" / "dunning.py").exists():
        results["dunning"] = _json_tail(_run([python, "-m", "bench.dunning"], env))
    return results


def _versions() -> str:
    import django

    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"Python {platform.python_version()}, Django {django.get_version()}, {pg}"


def _fmt(value, unit: str = "s") -> str:
    if value is None:
        return "—"
    return f"{value:,.2f} {unit}".strip() if isinstance(value, float) else f"{value:,} {unit}".strip()


def write_results(all_results: list[dict], path: Path, command: str) -> None:
    lines = [
        "# Scale benchmark results",
        "",
        f"- Date: {datetime.date.today():%d %b %Y}",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- Versions: {_versions()}",
        f"- Command: `{command}`",
        "",
        "Each figure is in seconds (latencies in ms) beside its floor measured in the same run; the ratio is",
        "figure / floor. Targets are those of issue 10.",
        "",
        "| size | measure | figure | floor | ratio | target |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for r in all_results:
        size = f"{r['size']:,}"
        imp = r.get("import", {})
        if imp:
            lines.append(
                f"| {size} | import ({imp['rows']:,} rows) | {_fmt(imp['import'])} | {_fmt(imp['copy_floor'])} (COPY) "
                f"| {imp['import_vs_copy']:.1f}× | ≤ 3× |"
            )
        k = r.get("kpis", {})
        if k:
            lines.append(
                f"| {size} | KPI night, 1% changed | {_fmt(k['night'])} | {_fmt(k['scan_floor'])} (scan) "
                f"| {k['night_vs_scan']:.1f}× | ≤ 3× |"
            )
            lines.append(
                f"| {size} | KPI full rebuild | {_fmt(k['rebuild'])} | {_fmt(k['snapshot_floor'])} (snapshot) "
                f"| {k['rebuild_vs_snapshot']:.1f}× | ≤ 1.5× |"
            )
            lines.append(
                f"| {size} | kpi_report, one month | {_fmt(k['kpi_report_month'])} | {_fmt(k['scan_floor'])} (scan) "
                f"| {k['report_vs_scan']:.1f}× | ≤ 5× |"
            )
        q = r.get("queue", {})
        if q:
            n = q["next_account"]
            lines.append(
                f"| {size} | next account p50/p95/p99 ({q['accounts_per_collector']:,} accounts per collector) "
                f"| {n['p50_ms']:.1f} / {n['p95_ms']:.1f} / {n['p99_ms']:.1f} ms | — | — | p95 < 25 ms |"
            )
            p = q["queue_page"]
            lines.append(
                f"| {size} | queue page p50/p95/p99, one client | {p['p50_ms']:.1f} / {p['p95_ms']:.1f} / "
                f"{p['p99_ms']:.1f} ms | — | — | p99 < 300 ms |"
            )
        d = r.get("dunning", {})
        if d:
            lines.append(f"| {size} | dunning | `{json.dumps(d)[:200]}` | | | |")
    lines += ["", "Raw figures:", "", "```json", json.dumps(all_results, indent=2), "```", ""]
    path.write_text("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, help="one portfolio size")
    parser.add_argument("--sizes", default="", help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--modules", default="kpis,queue,dunning", help="benchmarks to run beside the import")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] or [args.size or 10000]
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name")
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    results = []
    for size in sizes:
        print(f"== {size:,} accounts", flush=True)
        results.append(run_size(size, base, modules=modules))
        write_results(results, args.out, "python -m bench.run " + " ".join(argv or sys.argv[1:]))
    print(f"Written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
