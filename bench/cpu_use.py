"""Where the machine's CPU time goes during a load (Linux ``/proc``): the gunicorn workers
as a whole (the app plus gunicorn's own work on each request), the PostgreSQL backends
serving the benchmark's database, and the machine in all (other work on it included).

``CpuMeter.start()`` before the load and ``stop()`` after it give the CPU seconds each
spent in between. A backend that the pools open during the load counts from its start; one
closed during the load is lost (the pools keep theirs open, so none should be).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over every core."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])  # guest time is already in user
    return (total - idle) / TICKS, total / TICKS


def backends(url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the database at ``url``."""
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    engine.dispose()
    return list(pids)


@dataclass
class CpuMeter:
    """CPU seconds of the server's processes and the database's backends over a load."""

    url: str
    #: The server's processes now (gunicorn's master and workers: a worker can be replaced).
    server_pids: Callable[[], list[int]]
    _start: dict[int, float] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        pids = [*self.server_pids(), *backends(self.url)]
        self._start = {pid: process_cpu(pid) for pid in pids}
        self._machine = machine_busy()

    def stop(self) -> dict[str, float]:
        """CPU seconds since ``start``: ``server``, ``database``, ``machine busy`` and
        ``machine`` (wall seconds times cores)."""
        busy, total = machine_busy()
        server = sum(process_cpu(p) - self._start.get(p, 0.0) for p in self.server_pids())
        database = sum(process_cpu(p) - self._start.get(p, 0.0) for p in backends(self.url))
        return {
            "server": server,
            "database": database,
            "machine busy": busy - self._machine[0],
            "machine": total - self._machine[1],
        }
