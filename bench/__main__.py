"""``python -m bench``: run the benchmarks, print the tables, write bench/results.json.

    SIZE=100k python -m bench                    # SQLite (plus PostgreSQL if DATABASE_URL is one)
    python -m bench --sizes 10k,100k,1m          # several sizes, side by side
    python -m bench --only availability,booking  # some cases (names or groups: plan, feeds)
    DATABASE_URL=postgres:///kap python -m bench --load   # the multi-server throughput test
    SIZE=smoke python -m bench                   # CI: a tiny dataset, a few repetitions

Each (size, database) runs in its own worker process (``bench.worker``) against its own
database: ``var/bench-<size>.sqlite3`` or ``<name>_bench_<size>`` on the PostgreSQL server
that DATABASE_URL names. Datasets are built once and reused; ``--rebuild`` forces it.
Results are merged into bench/results.json (a run replaces the same size and database
measured before, ``--fresh`` starts over) and bench/results.md holds the tables as Markdown;
smoke runs write bench/results-smoke.json and .md instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from . import dbsetup, report
from .config import CASE_NAMES, DEFAULT_SIZE, GROUPS, LOAD_PHASES, size_appointments

HERE = Path(__file__).resolve().parent


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of the KAP scheduler (see bench/)."
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="comma-separated sizes (smoke, 10k, 100k, 1m, ...); default: $SIZE or 100k",
    )
    parser.add_argument(
        "--db",
        choices=["auto", "sqlite", "postgresql", "both"],
        default="auto",
        help="auto: SQLite, plus PostgreSQL when DATABASE_URL points at one",
    )
    parser.add_argument(
        "--only", default="", help=f"cases: {', '.join(CASE_NAMES)}; or plan, feeds"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the datasets")
    parser.add_argument(
        "--load", action="store_true", help="multi-server throughput test (PostgreSQL)"
    )
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--load-clients", type=int, default=8)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each case into var/bench-profiles/"
    )
    parser.add_argument("--fresh", action="store_true", help="do not merge with earlier results")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or check) the datasets, measure nothing"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        help="before each case, wait up to this many seconds for other processes to go idle",
    )
    parser.add_argument(
        "--load-phases",
        default=",".join(LOAD_PHASES),
        help="of the load test: floor (bare SQL bookings), direct (bare bookings through the "
        "app), book (search + book), mixed",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="a results file measured before the work, on the same machine, for the targets "
        "that compare with it (default: bench/baseline.json if present)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="results file (default bench/results.json; bench/results-smoke.json for smoke)",
    )
    return parser.parse_args(argv)


def _only(text: str) -> list[str]:
    if not text:
        return list(CASE_NAMES)
    names: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        expanded = GROUPS.get(item, [item])
        for name in expanded:
            if name not in CASE_NAMES:
                raise SystemExit(f"Unknown case {name!r}. Cases: {', '.join(CASE_NAMES)}.")
            if name not in names:
                names.append(name)
    # The combined plan row needs both halves, and each half is measured with it.
    if {"plan_preview", "plan_book"} & set(names) and "plan_preview_book" not in names:
        names.append("plan_preview_book")
    return names


def _databases(choice: str, base_url: str | None, load: bool) -> list[str]:
    postgres = dbsetup.is_postgres_url(base_url)
    if load or choice == "postgresql":
        if not postgres:
            raise SystemExit(
                "This needs PostgreSQL: set DATABASE_URL, e.g. DATABASE_URL=postgres:///kap."
            )
        return ["postgresql"]
    if choice == "sqlite":
        return ["sqlite"]
    if choice == "both" and not postgres:
        raise SystemExit("--db both needs DATABASE_URL=postgres://...")
    return ["sqlite", "postgresql"] if postgres else ["sqlite"]


def _worker(size: str, db: str, args, only: list[str], base_url: str | None) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    command = [
        sys.executable, "-m", "bench.worker", "--size", size, "--db", db, "--out", out,
        "--only", ",".join(only), "--base-url", base_url or "",
        "--load-seconds", str(args.load_seconds), "--load-clients", str(args.load_clients),
        "--quiet-wait", str(args.quiet_wait), "--load-phases", args.load_phases,
    ]  # fmt: skip
    if args.rebuild:
        command.append("--rebuild")
    if args.profile:
        command.append("--profile")
    if args.load:
        command.append("--load")
    if args.build_only:
        command.append("--build-only")
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the worker picks its own benchmark database
    try:
        status = subprocess.call(command, cwd=HERE.parent, env=env)
        if status != 0:
            print(f"bench: the {size} run on {db} failed (exit {status})", file=sys.stderr)
            return None
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def _merge(path: Path, machine: dict, runs: list[dict], load: dict | None, fresh: bool) -> dict:
    previous = {}
    if path.exists() and not fresh:
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = {}
    same_machine = previous.get("machine", {}).get("cpu") == machine["cpu"] and (
        previous.get("machine", {}).get("cores") == machine["cores"]
    )
    kept = []
    if same_machine:
        fresh_keys = {(r["size"], r["db"]) for r in runs}
        kept = [r for r in previous.get("runs", []) if (r["size"], r["db"]) not in fresh_keys]
    if not machine.get("postgresql") and same_machine:
        machine["postgresql"] = previous.get("machine", {}).get("postgresql")
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "runs": kept + runs,
        "load": load or (previous.get("load") if same_machine else None),
    }


def _print_load(load: dict) -> None:
    if report.load_rows(load):
        print()
        print(report.text_table(report.LOAD_HEADER, report.load_rows(load)))
    if report.cpu_rows(load):
        print()
        print("Floor and CPU split (ms of CPU per request, per party):")
        print(report.text_table(report.CPU_HEADER, report.cpu_rows(load)))
    if report.mixed_rows(load):
        print()
        print("Mixed workload: " + report.mixed_summary(load))
        print(report.text_table(report.MIXED_HEADER, report.mixed_rows(load)))


def _baseline(path: str | None) -> dict | None:
    candidate = Path(path) if path else HERE / "baseline.json"
    if not candidate.exists():
        if path:
            raise SystemExit(f"No baseline file {path}.")
        return None
    return json.loads(candidate.read_text())


def main(argv: list[str] | None = None) -> int:
    args = _args(sys.argv[1:] if argv is None else argv)
    base_url = os.environ.get("DATABASE_URL") or None
    sizes = [
        s.strip().lower() for s in (args.sizes or os.environ.get("SIZE") or DEFAULT_SIZE).split(",")
    ]
    for size in sizes:
        size_appointments(size)  # fails early on a bad size
    only = _only(args.only)
    unknown = [p for p in args.load_phases.split(",") if p and p not in LOAD_PHASES]
    if unknown:
        raise SystemExit(f"Unknown load phase {unknown[0]!r}. Phases: {', '.join(LOAD_PHASES)}.")
    databases = _databases(args.db, base_url, args.load)
    if args.build_only:
        for size in sizes:
            for db in databases:
                if _worker(size, db, args, only, base_url) is None:
                    return 1
        return 0
    if args.load:
        sizes = sizes[:1]

    runs, load, pg_version = [], None, None
    for size in sizes:
        for db in databases:
            result = _worker(size, db, args, only, base_url)
            if result is None:
                return 1
            if db == "postgresql":
                pg_version = result["db_version"]
            if args.load:
                load = {"size": size, "commit": result["code"]["commit"], **result["load"]}
                _print_load(load)
            else:
                runs.append(result)
                print()
                print(report.text_table(report.MAIN_HEADER, report.main_rows([result])))
                print()

    machine = report.machine_info(pg_version)
    # Smoke runs (CI) keep their own file, so they never mix into the real figures.
    default = "results-smoke.json" if sizes == ["smoke"] else "results.json"
    out = Path(args.out or HERE / default)
    results = _merge(out, machine, runs, load, args.fresh)
    out.write_text(json.dumps(results, indent=2))
    baseline = _baseline(args.baseline)
    markdown = report.markdown(results, main_sizes=sizes, baseline=baseline)
    out.with_suffix(".md").write_text(markdown + "\n")

    print(report.machine_line(machine))
    if runs:
        print()
        print(report.text_table(report.MAIN_HEADER, report.main_rows(runs)))
    if len(sizes) > 1 and runs:
        header, rows = report.sizes_rows(runs)
        print()
        print("Cost as work grows (median ms, queries per request in brackets):")
        print(report.text_table(header, rows))
    targets = report.targets_rows(
        [r for r in results["runs"] if r["size"] in sizes and r.get("cases")],
        results.get("load"),
        baseline,
    )
    if targets:
        print()
        print(f"Targets ({report.baseline_line(baseline)}):")
        print(report.text_table(report.TARGETS_HEADER, targets))
    print(f"\nWrote {out} and {out.with_suffix('.md')}")
    bad = [
        (r["size"], r["db"], c["name"], c["status"])
        for r in runs
        for c in r["cases"]
        if c["status"] == "error"
    ]
    if bad:
        print(f"bench: cases failed: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
