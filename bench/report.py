"""Tables: plain text for the terminal, Markdown for the README, plus the machine line."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

from .config import CASES, size_appointments


def machine_info(pg_version: str | None = None) -> dict:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
    }


def machine_line(machine: dict) -> str:
    parts = [
        f"{machine['cpu']}, {machine['cores']} cores",
        f"{machine['memory_gb']} GB RAM" if machine.get("memory_gb") else None,
        f"Python {machine['python']}",
        f"SQLite {machine['sqlite']}",
        machine.get("postgresql"),
    ]
    return "Machine: " + "; ".join(p for p in parts if p)


def _ms(value) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _notes(case: dict) -> str:
    extra = case.get("extra") or {}
    notes = []
    if case.get("status") != "ok":
        return f"{case['status']}: {case.get('note', '')}".strip(": ")
    if "events" in extra:
        notes.append(f"{extra['events']:,} events")
    if "slots" in extra:
        notes.append(f"{extra['slots']:,} slots")
    if "rooms" in extra:
        notes.append(f"{extra['rooms']} rooms x {extra.get('days', '?')} days")
    if extra.get("cascaded_moves_mean") is not None:
        notes.append(f"{extra['cascaded_moves_mean']} later sessions moved")
    if extra.get("not_placed"):
        notes.append(f"{extra['not_placed']} courses not fully placeable")
    if extra.get("failures"):
        notes.append(f"{extra['failures']} failed")
    return ", ".join(notes)


def _meets(case: dict) -> str:
    target, median = case.get("target_ms"), case.get("median_ms")
    if target is None or median is None:
        return ""
    return "yes" if median <= target else "NO"


MAIN_HEADER = [
    "case", "size", "db", "median ms", "p95 ms", "app CPU ms", "target", "meets",
    "floor ms", "ratio", "queries", "notes",
]  # fmt: skip


def _size_key(size: str) -> int:
    try:
        return size_appointments(size)
    except ValueError:
        return 0


def main_rows(runs: list[dict]) -> list[list[str]]:
    rows = []
    order = {case.name: i for i, case in enumerate(CASES)}
    entries = []
    for run in runs:
        for case in run.get("cases", []):
            entries.append(
                (order.get(case["name"], 99), _size_key(run["size"]), run["db"], run, case)
            )
    for _, _, _, run, case in sorted(entries, key=lambda e: (e[1], e[0], e[2] != "sqlite")):
        rows.append(
            [
                case["title"],
                run["size"],
                "SQLite" if run["db"] == "sqlite" else "PostgreSQL",
                _ms(case.get("median_ms")),
                _ms(case.get("p95_ms")),
                _ms(case.get("cpu_median_ms")),
                f"<= {case['target_ms']:g}" if case.get("target_ms") else "",
                _meets(case),
                _ms(case.get("floor_ms")),
                f"{case['ratio']:g}" if case.get("ratio") is not None else "",
                "" if case.get("queries") is None else str(case["queries"]),
                _notes(case),
            ]
        )
    return rows


def sizes_rows(runs: list[dict]) -> tuple[list[str], list[list[str]]]:
    """One row per (case, db), one column per size: median ms and queries."""
    sizes = sorted({run["size"] for run in runs}, key=_size_key)
    header = ["case", "db", *[f"{s} median ms (queries)" for s in sizes], "notes"]
    by_key: dict[tuple[str, str], dict[str, dict]] = {}
    for run in runs:
        for case in run.get("cases", []):
            by_key.setdefault((case["name"], run["db"]), {})[run["size"]] = case
    order = {case.name: i for i, case in enumerate(CASES)}
    rows = []
    for (_name, db), per_size in sorted(
        by_key.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1] != "sqlite")
    ):
        title = next(iter(per_size.values()))["title"]
        cells = []
        notes = []
        for size in sizes:
            case = per_size.get(size)
            if case is None or case.get("median_ms") is None:
                cells.append("-" if case is None else case.get("status", "-"))
                continue
            queries = case.get("queries")
            cells.append(_ms(case["median_ms"]) + (f" ({queries})" if queries is not None else ""))
            extra = case.get("extra") or {}
            if "events" in extra:
                notes.append(f"{size}: {extra['events']:,} ev")
        rows.append([title, "SQLite" if db == "sqlite" else "PostgreSQL", *cells, "; ".join(notes)])
    return header, rows


LOAD_HEADER = [
    "servers x workers", "clients", "seconds", "bookings 201", "409", "other 4xx", "5xx",
    "bookings/s", "book p50 ms", "book p95 ms", "book p99 ms", "search p50 ms",
    "search p95 ms", "overlaps",
]  # fmt: skip


def load_rows(load: dict) -> list[list[str]]:
    if "booking_latency" not in load:
        return []
    book, search = load["booking_latency"], load["availability_latency"]
    return [
        [
            f"{load['servers']} x {load['workers_per_server']}",
            str(load["clients"]),
            f"{load['seconds']:.0f}",
            str(load["status_counts"].get("201", 0)),
            str(load["status_counts"].get("409", 0)),
            str(load["other_4xx"]),
            str(load["server_errors"]),
            f"{load['bookings_per_second']:.1f}",
            _ms(book["median_ms"]),
            _ms(book["p95_ms"]),
            _ms(book["p99_ms"]),
            _ms(search["median_ms"]),
            _ms(search["p95_ms"]),
            str(load["overlaps"]["seat"] + load["overlaps"]["staff"]),
        ]
    ]


CPU_HEADER = [
    "phase", "seconds", "requests/s", "bookings/s", "vs floor",
    "CPU ms/request: app servers", "database", "clients", "others on the machine",
    "app server CPU ms/booking",
]  # fmt: skip


def _num(value, digits=1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cpu_rows(load: dict) -> list[list[str]]:
    """The floor, the app's bare bookings, the booking load and the mixed load: throughput,
    the bookings ratio to the floor, and the CPU split."""
    rows = []
    floor_rate = (load.get("floor") or {}).get("bookings_per_second")
    for phase, title in (
        ("floor", "floor: bare SQL bookings"),
        ("direct", "app: bare bookings (no search)"),
        ("book", "app: search + book"),
        ("mixed", "app: mixed workload"),
    ):
        data = load.get(phase)
        if not data:
            continue
        per_request = data["cpu"]["ms_per_request"]
        rate = data.get("bookings_per_second")
        requests = rate if phase == "floor" else data.get("requests_per_second")
        ratio = None
        if phase in ("direct", "book") and floor_rate and rate is not None:
            ratio = rate / floor_rate
        rows.append(
            [
                title,
                f"{data['seconds']:.0f}",
                _num(requests),
                _num(rate),
                "" if ratio is None else f"{ratio:.3f}",
                _num(per_request["servers"], 2) if phase != "floor" else "-",
                _num(per_request["database"], 2),
                _num(per_request["clients"], 2),
                _num(per_request["others"], 2),
                _num(data["cpu"]["ms_per_booking"]["servers"], 2) if phase != "floor" else "-",
            ]
        )
    return rows


MIXED_HEADER = ["action", "requests", "statuses", "p50 ms", "p95 ms"]


def mixed_rows(load: dict) -> list[list[str]]:
    mixed = load.get("mixed")
    if not mixed:
        return []
    rows = []
    for action, statuses in mixed["status_by_action"].items():
        latency = mixed["latency_by_action"][action]
        rows.append(
            [
                action,
                str(sum(statuses.values())),
                " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())),
                _ms(latency["median_ms"]),
                _ms(latency["p95_ms"]),
            ]
        )
    return rows


def mixed_summary(load: dict) -> str:
    mixed = load.get("mixed") or {}
    overlaps = load.get("overlaps") or {}
    return (
        f"5xx: {load.get('server_errors_all', '-')}; overlapping holds: "
        f"{sum(overlaps.values()) if overlaps else '-'}; idempotent replays: "
        f"{mixed.get('idempotent_replays', '-')}, lost: {mixed.get('lost_replays', '-')}; "
        f"tracebacks in server logs: {load.get('tracebacks_in_server_logs', '-')}"
    )


# --- the targets of the "close to the floor" issue ----------------------------------------

TARGETS_HEADER = ["figure", "size", "db", "measured", "target", "meets"]


def _case(run: dict, name: str) -> dict | None:
    return next((c for c in run.get("cases", []) if c["name"] == name), None)


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "NO")


def targets_rows(runs: list[dict], load: dict | None, baseline: dict | None) -> list[list[str]]:
    """Every ratio of the issue's targets table, beside its target.

    ``baseline`` is a results file measured on the code before the work (same machine):
    the "half of today's" and "a third of today's" targets compare against it.
    """
    rows = []
    base_runs = {(r["size"], r["db"]): r for r in (baseline or {}).get("runs", [])}
    for run in sorted(runs, key=lambda r: (_size_key(r["size"]), r["db"] != "postgresql")):
        size, db = run["size"], "SQLite" if run["db"] == "sqlite" else "PostgreSQL"
        for name, title, limit in (
            ("booking", "booking / its floor", 4),
            ("availability", "availability 4 weeks / its floor", 5),
        ):
            case = _case(run, name)
            if case and case.get("ratio") is not None:
                ratio = case["ratio"]
                rows.append(
                    [title, size, db, f"{ratio:.2f}", f"<= {limit}", _verdict(ratio <= limit)]
                )
        for name, title in (
            ("booking", "booking: app CPU ms per request"),
            ("availability", "availability 4 weeks: app CPU ms per request"),
        ):
            case = _case(run, name)
            base = _case(base_runs.get((run["size"], run["db"]), {}), name)
            now_cpu = (case or {}).get("cpu_median_ms")
            before = (base or {}).get("cpu_median_ms")
            if now_cpu is not None:
                rows.append(
                    [
                        title,
                        size,
                        db,
                        _ms(now_cpu) + ("" if before is None else f" (before {_ms(before)})"),
                        "<= a third of before"
                        + ("" if before is None else f" ({_ms(before / 3)})"),
                        _verdict(None if before is None else now_cpu <= before / 3),
                    ]
                )
        plan = _case(run, "plan_preview_book")
        base = _case(base_runs.get((run["size"], run["db"]), {}), "plan_preview_book")
        if plan and plan.get("median_ms") is not None:
            before = base.get("median_ms") if base else None
            rows.append(
                [
                    "14-session course, preview + book (ms)",
                    size,
                    db,
                    _ms(plan["median_ms"]) + ("" if before is None else f" (before {_ms(before)})"),
                    "<= half of before" + ("" if before is None else f" ({_ms(before / 2)})"),
                    _verdict(None if before is None else plan["median_ms"] <= before / 2),
                ]
            )
        patient_304, room_304 = _case(run, "feed_304"), _case(run, "room_feed_304")
        if patient_304 and room_304 and patient_304.get("median_ms") and room_304.get("median_ms"):
            ratio = room_304["median_ms"] / patient_304["median_ms"]
            rows.append(
                [
                    "304: room feed (~5,000 events) / patient feed (40)",
                    size,
                    db,
                    f"{ratio:.2f} ({_ms(room_304['median_ms'])} / "
                    f"{_ms(patient_304['median_ms'])} ms)",
                    "flat: <= 1.5",
                    _verdict(ratio <= 1.5),
                ]
            )
    if load and (load.get("book") or load.get("direct")):
        size, book = load.get("size", ""), load.get("book")
        base_load = (baseline or {}).get("load") or {}
        base_book = base_load.get("book") or {}
        # Like with like: bare bookings through the app (the direct phase) over bare
        # bookings in SQL. Results from before the direct phase hold no such ratio.
        ratio = load.get("ratio_to_floor") if load.get("direct") else None
        if ratio is not None:
            rows.append(
                ["load: app bare bookings/s / bare-SQL bookings/s", size, "PostgreSQL",
                 f"{ratio:.3f}", ">= 0.2", _verdict(ratio >= 0.2)]
            )  # fmt: skip
        if book:
            before = base_book.get("bookings_per_second")
            rows.append(
                [
                    "load: app bookings/s (search + book)",
                    size,
                    "PostgreSQL",
                    f"{book['bookings_per_second']:.1f}"
                    + ("" if before is None else f" (before {before:.1f})"),
                    ">= 3x before" + ("" if before is None else f" ({3 * before:.1f})"),
                    _verdict(None if before is None else book["bookings_per_second"] >= 3 * before),
                ]
            )
        errors = load.get("server_errors_all", (book or {}).get("server_errors"))
        overlaps = sum((load.get("overlaps") or {}).values())
        rows.append(
            ["load: 5xx and overlapping holds", size, "PostgreSQL",
             f"{errors} and {overlaps}", "0 and 0", _verdict(errors == 0 and overlaps == 0)]
        )  # fmt: skip
        cpu_now = book["cpu"]["ms_per_request"]["servers"] if book else None
        cpu_before = (base_book.get("cpu") or {}).get("ms_per_request", {}).get("servers")
        if cpu_now is not None:
            rows.append(
                [
                    "load: app server CPU ms per request (search + book)",
                    size,
                    "PostgreSQL",
                    f"{cpu_now:.1f}"
                    + ("" if cpu_before is None else f" (before {cpu_before:.1f})"),
                    "<= a third of before"
                    + ("" if cpu_before is None else f" ({cpu_before / 3:.1f})"),
                    _verdict(None if cpu_before is None else cpu_now <= cpu_before / 3),
                ]
            )
    return rows


def baseline_line(baseline: dict | None) -> str:
    if not baseline:
        return "no before figures given (--baseline)"
    code = (baseline.get("runs") or [{}])[0].get("code") or {}
    commit = code.get("commit") or (baseline.get("load") or {}).get("commit") or "?"
    return f"before = commit {commit}, measured {baseline.get('generated_at', '?')}"


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    numeric = [bool(rows) and all(_numberish(r[i]) for r in rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if numeric[i] else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _numberish(value: str) -> bool:
    text = str(value).replace(",", "").replace("(", "").replace(")", "").replace(" ", "")
    text = text.replace("<=", "").replace(".", "", 1)
    return text.isdigit() or text in ("", "-")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def markdown(results: dict, main_sizes: list[str], baseline: dict | None = None) -> str:
    runs = results["runs"]
    parts = [machine_line(results["machine"]), ""]
    main = [r for r in runs if r["size"] in main_sizes and r.get("cases")]
    if main:
        parts += [markdown_table(MAIN_HEADER, main_rows(main)), ""]
    if len({r["size"] for r in runs if r.get("cases")}) > 1:
        header, rows = sizes_rows([r for r in runs if r.get("cases")])
        parts += ["Cost as work grows (median ms, queries per request in brackets):", ""]
        parts += [markdown_table(header, rows), ""]
    if results.get("load"):
        load = results["load"]
        if load_rows(load):
            parts += [
                f"Throughput on PostgreSQL ({load['size']} dataset), two gunicorn instances "
                "against one database, clients on loopback:",
                "",
                markdown_table(LOAD_HEADER, load_rows(load)),
                "",
            ]
        if cpu_rows(load):
            parts += [
                "The floor (the same clients running the bare booking transaction against "
                "PostgreSQL), the same bare bookings through the app, and where the CPU went "
                "(milliseconds of CPU per request):",
                "",
                markdown_table(CPU_HEADER, cpu_rows(load)),
                "",
            ]
        if mixed_rows(load):
            parts += [
                "Mixed workload: " + mixed_summary(load),
                "",
                markdown_table(MIXED_HEADER, mixed_rows(load)),
                "",
            ]
    targets = targets_rows(main, results.get("load"), baseline)
    if targets:
        parts += [
            "Targets (each ratio measured in one run; " + baseline_line(baseline) + "):",
            "",
            markdown_table(TARGETS_HEADER, targets),
            "",
        ]
    return "\n".join(parts)
