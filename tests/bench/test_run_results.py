"""bench.run's results: table rows per size, growth flags, the plot, and merging runs made at different times."""

import json

import pytest

from bench import plot, run

IMPORT = {
    "copy_floor": 0.25,
    "rows": 117_601,
    "import": 25.0,
    "import_vs_copy": 100.0,
    "schema_floor": 10.0,
    "peak_rss_mb": 585.4,
}
KPIS = {
    "accounts": 10_000,
    "scan_floor": 0.08,
    "snapshot_floor": 0.2,
    "rebuild": 0.5,
    "night": 0.24,
    "night_accounts": 100,
    "kpi_report_month": 0.9,
}
QUEUE = {
    "collectors": 2,
    "accounts_per_collector": 5000,
    "next_account": {"p50_ms": 100.0, "p95_ms": 140.0, "p99_ms": 160.0, "mean_ms": 105.0},
    "queue_page": {"p50_ms": 300.0, "p95_ms": 330.0, "p99_ms": 1600.0, "mean_ms": 310.0},
    "load": {
        "users": 32,
        "seconds": 20,
        "floor": {"pages_per_s": 100.0, "p50_ms": 200.0, "p95_ms": 400.0, "p99_ms": 500.0, "failures": 0},
        "queue_page": {"pages_per_s": 8.0, "p50_ms": 3000.0, "p95_ms": 5000.0, "p99_ms": 5600.0, "failures": 3},
        "queue_vs_floor": 0.08,
    },
}
DUNNING = {
    "selection_seconds": 0.35,
    "selected": 4865,
    "workers": 2,
    "mode": "workers",
    "noop_floor": {"tasks": 2000, "seconds": 3.77, "per_second": 530.0},
    "sent_sample": 4865,
    "send_seconds": 5.0,
    "states": {"sent": 3794, "skipped": 1071},
    "sends_per_second": 758.8,
    "settled_per_second": 973.0,
    "duplicates": {"same_key": 0, "sends_without_reminder": 0, "sms_keys_twice": 0},
    "ok": True,
}
PAYMENTS = {
    "clients": 32,
    "seconds": 20.0,
    "posted": 4000,
    "payments_per_s": 200.0,
    "requests_per_s": 220.0,
    "p50_ms": 120.0,
    "p95_ms": 250.0,
    "p99_ms": 400.0,
    "floor_per_s": 400.0,
    "floor_p99_ms": 90.0,
    "ratio": 0.55,
    "lost": 0,
    "doubled": 0,
    "reconciled": True,
}


def scaled(figures: dict, factor: float) -> dict:
    """Every number of a module's figures times `factor` (counts and nested latencies included)."""
    out = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out[key] = scaled(value, factor)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            out[key] = value
        else:
            out[key] = type(value)(value * factor)
    return out


def results_dir(tmp_path):
    """10k with every module; 100k with the import and KPIs ten times slower but kpi_report 15 times;
    1M with only the import (three times more than linear) and the KPIs: the other modules not run."""
    folder = tmp_path / "results"
    ten_k = {"size": 10_000, "import": IMPORT, "kpis": KPIS, "queue": QUEUE, "dunning": DUNNING, "payments": PAYMENTS}
    hundred_k = {
        "size": 100_000,
        "import": scaled(IMPORT, 10),
        "kpis": {**scaled(KPIS, 10), "kpi_report_month": 13.5},
        "queue": QUEUE,
        "dunning": {**DUNNING, "send_seconds": 50.0, "noop_floor": {"per_second": 530.0}, "sent_sample": 48_650},
        "payments": {**PAYMENTS, "lost": 1, "reconciled": False},
        "runs": {"queue": {"at": "2026-11-23 22:10 UTC", "command": "python -m bench.run --sizes 100000 --reuse"}},
    }
    million = {
        "size": 1_000_000,
        "import": {**scaled(IMPORT, 100), "import": 25.0 * 10 * 30},
        "kpis": scaled(KPIS, 100),
        "dunning": {"error": "python -m bench.dunning failed (exit 2)"},
        "runs": {"import": {"at": "2026-11-24 03:00 UTC", "command": "python -m bench.run --sizes 1000000"}},
    }
    for figures in (ten_k, hundred_k, million):
        run.save_size(folder, figures)
    return folder


def test_table_has_a_row_per_measure_and_size_with_floor_ratio_and_target(tmp_path):
    out = tmp_path / "RESULTS.md"
    folder = results_dir(tmp_path)

    run.write_results(run.load_results(folder), out, results_dir=folder, plot=False)

    text = out.read_text()
    assert "| 10,000 | import (117,601 rows) | 25.00 s | 0.25 s (COPY) | 100.00× | ≤ 3× |" in text
    assert (
        "| 10,000 | import, against its rows written into the schema | 25.00 s"
        " | 10.00 s (the schema's writes alone: 40.00× COPY) | 2.50× | — |"
    ) in text
    assert "| 10,000 | import peak RSS | 585 MB | — | — | flat as the portfolio grows |" in text
    assert "| 10,000 | KPI night, 1% changed (100 accounts) | 0.24 s | 0.08 s (scan) | 3.00× | ≤ 3× |" in text
    assert "| 10,000 | KPI full rebuild | 0.50 s | 0.20 s (snapshot) | 2.50× | ≤ 1.5× |" in text
    assert "| 10,000 | kpi_report, one month | 0.90 s | 0.08 s (scan) | 11.25× | ≤ 5× |" in text
    assert "| 10,000 | dunning selection (4,865 chosen) | 0.35 s | — | — | < 10 s at 1M |" in text
    assert (
        "| 10,000 | dunning sending, 2 worker processes (3,794 sent, 1,071 skipped; 5.0 s) "
        "| 973 settled/s (759 sent/s) | 530 no-op tasks/s | 1.84× | — |"
    ) in text
    assert "| 10,000 | dunning: 100,000 reminders at that rate | 1 min 43 s | — | — | < 2 min |" in text
    assert "| 0 / 0 / 0 | — | — | 0 / 0 / 0 |" in text
    assert "| 10,000 | next account p50/p95/p99 (2 collectors × 5,000 accounts) | 100.0 / 140.0 / 160.0 ms |" in text
    assert "| 10,000 | queue page p50/p95/p99, one client | 300.0 / 330.0 / 1,600.0 ms | — | — | p99 < 300 ms |" in text
    assert (
        "| 10,000 | queue page, 32 concurrent collectors | 8.0 pages/s, p99 5,600 ms, 3 failed "
        "| 100.0 pages/s, p99 500 ms (bare page) | 0.08× | ≥ 0.75× floor, p99 < 300 ms |"
    ) in text
    assert (
        "| 10,000 | payments posted, 32 concurrent clients (4,000 posted) "
        "| 200.0 payments/s (220.0 requests/s with resends), p50/p95/p99 120.0 / 250.0 / 400.0 ms "
        "| 400.0 requests/s, p99 90 ms (API floor) | 0.55× | ≥ 300 payments/s |"
    ) in text
    assert "| 10,000 | payments lost / doubled, ledger | 0 / 0, reconciled | — | — | 0 / 0, reconciled |" in text
    assert "| 100,000 | payments lost / doubled, ledger | 1 / 0, NOT reconciled |" in text


def test_an_import_measured_without_the_schema_floor_has_no_row_for_it():
    rows = run._import_rows({key: value for key, value in IMPORT.items() if key != "schema_floor"})
    assert [row[0] for row in rows] == ["import (117,601 rows)", "import peak RSS"]


def test_missing_and_failed_modules_say_so_instead_of_crashing(tmp_path):
    out = tmp_path / "RESULTS.md"
    folder = results_dir(tmp_path)

    run.write_results(run.load_results(folder), out, results_dir=folder, plot=False)

    text = out.read_text()
    assert "| 1,000,000 | queue | not run |  |  |  |" in text
    assert "| 1,000,000 | payments | not run |  |  |  |" in text
    assert "| 1,000,000 | dunning | failed: python -m bench.dunning failed (exit 2) |" in text
    assert "| 1,000,000 | import (11,760,100 rows) | 7,500.00 s | 25.00 s (COPY) | 300.00× | ≤ 3× |" in text
    # A queue run without the load test: the concurrent row says so, the others stand.
    rows = run.table_rows({"size": 10, "queue": {k: v for k, v in QUEUE.items() if k != "load"}})
    assert ("queue page, concurrent collectors", "not run", "", "", "≥ 0.75× floor, p99 < 300 ms") in rows
    assert ("kpis", "not run", "", "", "") in rows
    assert [row[1] for row in rows if row[0].startswith("next account")] == ["100.0 / 140.0 / 160.0 ms"]


def test_growth_flags_measures_worse_than_linear(tmp_path):
    out = tmp_path / "RESULTS.md"
    folder = results_dir(tmp_path)
    results = run.load_results(folder)

    steps = {row["measure"]: row["steps"] for row in run.growth(results)}
    run.write_results(results, out, results_dir=folder, plot=False)

    report = steps["kpi_report, one month"][0]
    assert (report["from"], report["to"], report["size_factor"]) == (10_000, 100_000, 10)
    assert report["factor"] == pytest.approx(15.0)
    assert report["worse_than_linear"]
    assert not steps["KPI night"][0]["worse_than_linear"]
    assert steps["import"][1]["factor"] == pytest.approx(30.0)
    assert steps["import"][1]["floor_factor"] == pytest.approx(10.0)
    assert steps["import"][1]["worse_than_linear"]
    assert steps["next account p95"][0]["factor"] == pytest.approx(1.0)
    assert steps["next account p95"][1]["factor"] is None  # the queue did not run at 1M
    text = out.read_text()
    assert "| measure | unit | 10,000 → 100,000 (size 10×) | 100,000 → 1,000,000 (size 10×) |" in text
    assert "| kpi_report, one month | s | 15.0× (floor 10.0×) **worse than linear** | 6.7× (floor 10.0×) |" in text
    assert "| next account p95 | ms | 1.0× | — |" in text
    assert (
        "Worse than linear: import (100,000 → 1,000,000: 30.0× for 10× the accounts); "
        "kpi_report, one month (10,000 → 100,000: 15.0× for 10× the accounts)."
    ) in text


def test_plot_is_written_beside_results_and_linked(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib draws the plot; CI installs it from requirements-dev.txt")
    out = tmp_path / "RESULTS.md"
    folder = results_dir(tmp_path)

    png = run.write_results(run.load_results(folder), out, results_dir=folder)

    assert png == tmp_path / "RESULTS.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    assert "![Each measure against the portfolio size, log-log; floors dashed](RESULTS.png)" in out.read_text()


def test_generated_part_is_replaced_and_hand_notes_kept(tmp_path):
    out = tmp_path / "RESULTS.md"
    out.write_text("# Scale benchmark results\n\nNotes by hand: what changed.\n")
    folder = results_dir(tmp_path)
    results = run.load_results(folder)

    run.write_results(results[:1], out, results_dir=folder, plot=False)
    run.write_results(results, out, results_dir=folder, plot=False)

    text = out.read_text()
    assert text.startswith("# Scale benchmark results\n\n" + run.BEGIN)
    assert text.count(run.BEGIN) == 1 and text.count("| 10,000 | KPI full rebuild |") == 1
    assert "| 1,000,000 | KPI full rebuild |" in text
    assert text.endswith(run.END + "\n\nNotes by hand: what changed.\n")
    assert "Raw figures: [results/10000.json](results/10000.json), [results/100000.json]" in text
    assert "- Measured: 2026-11-23 22:10 UTC to 2026-11-24 03:00 UTC" in text
    assert "- Command: `python -m bench.run --sizes 100000 --reuse`" in text


def test_report_only_needs_no_database(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(plot, "write_plot", lambda results, path: None)  # drawn in its own test
    out = tmp_path / "RESULTS.md"
    folder = results_dir(tmp_path)

    assert run.main(["--report", "--results-dir", str(folder), "--out", str(out)]) == 0

    assert "| 100,000 | KPI full rebuild | 5.00 s | 2.00 s (snapshot) | 2.50× | ≤ 1.5× |" in out.read_text()
    with pytest.raises(SystemExit, match="No saved figures in"):
        run.main(["--report", "--results-dir", str(tmp_path / "none"), "--out", str(out)])
    with pytest.raises(SystemExit):
        run.main(["--sizes", "10k", "--results-dir", str(folder)])
    assert "sizes are whole numbers of accounts separated by commas, not '10k'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="Unknown module imprts: choose among kpis, queue, dunning, payments."):
        run.main(["--report", "--modules", "imprts", "--results-dir", str(folder)])


def test_reuse_runs_modules_on_the_existing_database_and_merges_with_saved_figures(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    run.save_size(folder, {"size": 10_000, "import": IMPORT, "queue": QUEUE})
    calls = []

    def fake_run(args, env, ok_codes=(0,)):
        calls.append(args)
        assert env["DATABASE_URL"] == "postgres://postgres@db:5432/br_bench_10000"
        return "Rolled up.\n" + json.dumps(KPIS) if "bench.kpis" in args else ""

    monkeypatch.setattr(run, "_database_exists", lambda url: True)
    monkeypatch.setattr(run, "_run", fake_run)
    monkeypatch.setattr(run, "_versions", lambda: "Python 3.11")

    saved = run.run_size(
        10_000,
        "postgres://postgres@db:5432/br",
        modules=["kpis"],
        reuse=True,
        results_dir=folder,
        command="python -m bench.run --reuse",
    )

    assert [c[1:3] for c in calls] == [["manage.py", "migrate"], ["-m", "bench.kpis"]]
    on_disk = json.loads((folder / "10000.json").read_text())
    assert on_disk == saved
    assert (on_disk["import"], on_disk["queue"], on_disk["kpis"]) == (IMPORT, QUEUE, KPIS)
    assert on_disk["runs"]["kpis"]["command"] == "python -m bench.run --reuse"


def test_record_keeps_figures_of_a_run_made_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "_versions", lambda: "Python 3.11")
    monkeypatch.setattr(plot, "write_plot", lambda results, path: None)
    folder = tmp_path / "results"
    run.save_size(folder, {"size": 100_000, "kpis": KPIS})
    printed = tmp_path / "import.json"
    printed.write_text("Imported.\n" + json.dumps(IMPORT, indent=2))
    out = tmp_path / "RESULTS.md"

    run.main(["--sizes", "100000", "--record", f"import={printed}", "--results-dir", str(folder), "--out", str(out)])

    saved = json.loads((folder / "100000.json").read_text())
    assert (saved["import"], saved["kpis"]) == (IMPORT, KPIS)
    assert saved["runs"]["import"]["command"] == f"recorded from {printed}"
    assert "| 100,000 | import (117,601 rows) | 25.00 s | 0.25 s (COPY) | 100.00× | ≤ 3× |" in out.read_text()
    with pytest.raises(SystemExit, match="--record takes MODULE=FILE with MODULE among import, kpis"):
        run.main(["--sizes", "100000", "--record", f"imports={printed}", "--results-dir", str(folder)])
    with pytest.raises(SystemExit, match="--record needs exactly one size"):
        run.main(["--sizes", "10000,100000", "--record", f"import={printed}", "--results-dir", str(folder)])
    with pytest.raises(SystemExit, match="holds no JSON figures"):
        run.main(["--sizes", "100000", "--record", f"import={out}", "--results-dir", str(folder)])
