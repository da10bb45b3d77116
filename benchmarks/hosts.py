"""Separate hosts modelled on one machine: each web worker process in its own cgroup (v1
CPU controller) capped at the same fraction of a core, so that adding a worker adds a
"host" instead of competing for the same two cores as the database and the load
generator. Every cgroup made here is removed again (its processes moved back to the
root group first), whatever happens."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

CPU_ROOT = Path(os.environ.get("BENCH_CGROUP_CPU", "/sys/fs/cgroup/cpu"))
PERIOD_US = 100_000
SHARES = 10 * 1024


def why_not_writable() -> str | None:
    """None when capped groups can be made here, else the reason they cannot."""
    probe = CPU_ROOT / f"reception-bench-probe-{os.getpid()}"
    try:
        probe.mkdir()
    except OSError as exc:
        return f"the cgroup v1 CPU controller at {CPU_ROOT} is not writable ({exc.strerror})"
    try:
        (probe / "cpu.cfs_quota_us").write_text(str(PERIOD_US // 4))
    except OSError as exc:
        return f"cannot set a CPU quota under {CPU_ROOT} ({exc.strerror})"
    finally:
        probe.rmdir()
    return None


class CappedHosts:
    """`with CappedHosts(0.2) as hosts: hosts.place(pid)` puts each process given in a
    new group of its own, limited to `share` of one core and first in line for it."""

    def __init__(self, share: float) -> None:
        self.quota_us = max(1000, int(share * PERIOD_US))
        self.groups: list[Path] = []

    def __enter__(self) -> CappedHosts:
        return self

    def place(self, pid: int) -> Path:
        group = CPU_ROOT / f"reception-bench-{os.getpid()}-{len(self.groups)}"
        group.mkdir()
        self.groups.append(group)
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        # Ten times an ordinary process's weight: up to its cap the worker gets its CPU
        # even while the machine is busy with other work, as on a host of its own.
        (group / "cpu.shares").write_text(str(SHARES))
        (group / "cgroup.procs").write_text(str(pid))
        return group

    def throttled_seconds(self) -> float:
        """CPU time the capped processes wanted but were refused (cpu.stat)."""
        total = 0
        for group in self.groups:
            with contextlib.suppress(OSError):
                for line in (group / "cpu.stat").read_text().splitlines():
                    if line.startswith("throttled_time "):
                        total += int(line.split()[1])
        return total / 1e9

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for group in self.groups:
            with contextlib.suppress(OSError):
                for pid in (group / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        (CPU_ROOT / "cgroup.procs").write_text(pid)
            with contextlib.suppress(OSError):
                group.rmdir()
        self.groups.clear()
