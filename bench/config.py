"""What the benchmarks measure, at which sizes, against which targets.

Plain data only: the orchestrator (``python -m bench``) imports this without Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Appointments per named size. Anything like "250k" or "2m" works too.
SIZES = {"smoke": 1_500, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_SIZE = "100k"

# Bump when the dataset's shape changes: an existing database with another version is rebuilt.
DATASET_VERSION = 3
SEED = 20260521

# The load test's phases (``--load``), in the order they run: bare SQL bookings, bare
# bookings through the app, search + book with racing pairs, the mixed workload.
LOAD_PHASES = ("floor", "direct", "book", "mixed")


def size_appointments(size: str) -> int:
    size = size.strip().lower()
    if size in SIZES:
        return SIZES[size]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", size)
    if not match:
        raise ValueError(f"Unknown size {size!r}: use smoke, 10k, 100k, 1m or a number like 250k.")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def size_label(size: str) -> str:
    return size.strip().lower()


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    target_ms: float | None
    reps: int
    smoke_reps: int
    target_note: str = ""


# Targets from the booking, plan, feed and utilization issues (median, 2-core machine,
# 100k appointments). The combined plan row carries the plan target.
CASES = [
    Case("availability", "availability search, 4 weeks", 50, 40, 4),
    Case("booking", "book one appointment", 20, 40, 4),
    Case("plan_preview", "plan preview, 14-session course", None, 15, 3),
    Case("plan_book", "plan book, 14-session course", None, 15, 3),
    Case("plan_preview_book", "plan preview + book, 14 sessions", 150, 15, 3),
    Case("reschedule", "reschedule with cascade", None, 15, 3),
    Case("patient_feed", "patient feed (40 events)", 10, 50, 5),
    Case("room_feed", "room feed (~5,000 events)", 250, 10, 2),
    Case("feed_304", "patient feed 304 (If-None-Match)", 3, 50, 5),
    Case("room_feed_304", "room feed 304 (If-None-Match)", 3, 30, 3),
    Case("utilization", "utilization, 1 year x 10 rooms", 500, 10, 2),
]
CASE_NAMES = [case.name for case in CASES]
CASES_BY_NAME = {case.name: case for case in CASES}

# --only accepts these group names too.
GROUPS = {
    "plan": ["plan_preview", "plan_book", "plan_preview_book"],
    "feeds": ["patient_feed", "room_feed", "feed_304", "room_feed_304"],
    "feed": ["patient_feed", "room_feed", "feed_304", "room_feed_304"],
}
