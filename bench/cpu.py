"""CPU time per process during a load run, read from ``/proc`` (Linux; None elsewhere).

Three parties share the machine in a load run: the app servers (every process of each
gunicorn's process group, plus what its master reaped from workers that exited), the
PostgreSQL backends serving this run's database (one that exits during a phase, a
connection past its age, counts through the postmaster's reaped children, which on a
shared server also holds other databases' backends that exit meanwhile), and the clients.
A snapshot at the start and one at the end (before the servers stop) give each party's CPU
seconds; divided by the requests served, CPU milliseconds per request. Whatever else the
machine did meanwhile (other people's work on a shared machine) is reported beside it as
noise.
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC = Path("/proc")


def available() -> bool:
    return (PROC / "self" / "stat").exists()


def _fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields follow the last ')'.
    return text[text.rindex(")") + 2 :].split()


def process_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU seconds of one process (plus its reaped children's)."""
    fields = _fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def group_seconds(leader: int) -> float:
    """CPU seconds of every live process in ``leader``'s process group, plus the leader's
    reaped children (workers that exited)."""
    total = 0.0
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _fields(int(entry.name))
        if fields is None or int(fields[2]) != leader:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total + (process_seconds(leader, children=True) - process_seconds(leader))


def parent_pid(pid: int) -> int | None:
    fields = _fields(pid)
    return int(fields[1]) if fields is not None else None


def reaped_seconds(pid: int) -> float:
    """CPU seconds of ``pid``'s children that have exited and been reaped (with theirs)."""
    return process_seconds(pid, children=True) - process_seconds(pid)


def pids_seconds(pids) -> dict[int, float]:
    return {pid: process_seconds(pid) for pid in pids}


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (/proc/stat), or None off Linux."""
    path = PROC / "stat"
    if not path.exists():
        return None
    fields = [int(x) for x in path.read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


def database_backends(cursor) -> list[int]:
    """Backend pids connected to the cursor's database, other than the cursor's own."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return [row[0] for row in cursor.fetchall()]


class Meter:
    """CPU seconds of the servers, the database backends and the clients over one phase."""

    def __init__(self, *, leaders: list[int], backend_pids) -> None:
        self.leaders = leaders
        self.backend_pids = backend_pids  # a callable: the backends to count, now
        self.start: dict | None = None
        self.postmaster: int | None = None

    def _snapshot(self) -> dict:
        backends = list(self.backend_pids())
        if self.postmaster is None and backends:
            self.postmaster = parent_pid(backends[0])
        return {
            "servers": sum(group_seconds(leader) for leader in self.leaders),
            "backends": pids_seconds(backends),
            # Backends that exit during the phase (a connection past its age) are gone
            # from /proc by the end; the postmaster has reaped them, and counts their CPU.
            "reaped": reaped_seconds(self.postmaster) if self.postmaster else 0.0,
            "machine": machine_busy_seconds(),
        }

    def begin(self) -> None:
        self.start = self._snapshot()

    def end(self, *, client_seconds: float, requests: int, bookings: int) -> dict:
        assert self.start is not None
        end = self._snapshot()
        servers = end["servers"] - self.start["servers"]
        # A backend that started during the phase counts from zero; one that exited
        # counts through the postmaster's reaped children, less what it had used before.
        database = sum(
            seconds - self.start["backends"].get(pid, 0.0)
            for pid, seconds in end["backends"].items()
        )
        exited = set(self.start["backends"]) - set(end["backends"])
        database += end["reaped"] - self.start["reaped"]
        database -= sum(self.start["backends"][pid] for pid in exited)
        machine = None
        if end["machine"] is not None and self.start["machine"] is not None:
            machine = end["machine"] - self.start["machine"]
        return cpu_split(
            servers=servers,
            database=database,
            clients=client_seconds,
            machine=machine,
            requests=requests,
            bookings=bookings,
        )


def cpu_split(*, servers, database, clients, machine, requests, bookings) -> dict:
    ours = servers + database + clients
    others = None if machine is None else max(0.0, machine - ours)

    def per(seconds, count):
        return None if seconds is None or not count else round(1000 * seconds / count, 2)

    return {
        "seconds": {
            "servers": round(servers, 2),
            "database": round(database, 2),
            "clients": round(clients, 2),
            "others": None if others is None else round(others, 2),
        },
        "ms_per_request": {
            "servers": per(servers, requests),
            "database": per(database, requests),
            "clients": per(clients, requests),
            "others": per(others, requests),
        },
        "ms_per_booking": {
            "servers": per(servers, bookings),
            "database": per(database, bookings),
            "clients": per(clients, bookings),
        },
    }
