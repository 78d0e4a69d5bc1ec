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
    "case", "size", "db", "median ms", "p95 ms", "target", "meets",
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


def markdown(results: dict, main_sizes: list[str]) -> str:
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
        parts += [
            f"Throughput on PostgreSQL ({load['size']} dataset), two gunicorn instances against "
            "one database, clients on loopback:",
            "",
            markdown_table(LOAD_HEADER, load_rows(load)),
            "",
        ]
    return "\n".join(parts)
