"""Memory and CPU of the appliance's processes, sampled from /proc while a benchmark runs,
and the facts of the machine it ran on (Linux only)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcSample:
    at: float  # time.monotonic()
    cpu_s: float  # user + system time of all the process's threads so far
    rss_kib: int  # VmRSS
    hwm_kib: int  # VmHWM: the peak resident set since the process started


@dataclass(frozen=True)
class ProcUsage:
    pid: int
    samples: int
    # The largest VmHWM seen. The kernel updates its high-water mark lazily, so a later
    # VmHWM can read below an earlier VmRSS; the largest reading is the best peak.
    vm_hwm_mib: float | None
    max_vm_rss_mib: float | None
    cpu_mean_pct: float | None  # % of one core over the whole sampled span
    cpu_max_pct: float | None  # % of one core in the busiest sampling interval


def read_sample(pid: int, proc: Path = Path("/proc")) -> ProcSample | None:
    """One sample of ``pid``; None when the process is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        status = (proc / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces and parentheses: fields start after the last ") ".
    fields = stat.rsplit(") ", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    mem = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            mem[key] = int(value.split()[0])  # "  123456 kB"
    return ProcSample(time.monotonic(), (utime + stime) / CLK_TCK, mem.get("VmRSS", 0),
                      mem.get("VmHWM", 0))


def usage(pid: int, samples: list[ProcSample]) -> ProcUsage:
    """Summarise the samples of one process."""
    if not samples:
        return ProcUsage(pid, 0, None, None, None, None)
    rates = [100.0 * (b.cpu_s - a.cpu_s) / (b.at - a.at)
             for a, b in zip(samples, samples[1:]) if b.at > a.at]
    first, last = samples[0], samples[-1]
    mean = (100.0 * (last.cpu_s - first.cpu_s) / (last.at - first.at)
            if last.at > first.at else None)
    return ProcUsage(pid, len(samples), round(max(s.hwm_kib for s in samples) / 1024, 1),
                     round(max(s.rss_kib for s in samples) / 1024, 1),
                     None if mean is None else round(mean, 1),
                     round(max(rates), 1) if rates else None)


class Sampler:
    """Samples named processes every ``interval`` seconds in a thread until ``stop()``."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        self.pids = pids
        self.interval = interval
        self._samples: dict[str, list[ProcSample]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="proc-sampler", daemon=True)

    def _sample_all(self) -> None:
        for name, pid in self.pids.items():
            sample = read_sample(pid)
            if sample is not None:
                self._samples[name].append(sample)

    def _run(self) -> None:
        while True:
            self._sample_all()
            if self._stop.wait(self.interval):
                break

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, ProcUsage]:
        self._stop.set()
        self._thread.join()
        self._sample_all()  # the end of the run is always a sample point
        return {name: usage(self.pids[name], s) for name, s in self._samples.items()}


def machine_facts(proc: Path = Path("/proc")) -> dict[str, object]:
    """CPU model, logical cores and RAM of this machine."""
    model = "unknown"
    try:
        for line in (proc / "cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            # x86 says "model name"; many ARM kernels only say "Model" or "Hardware".
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                model = value.strip()
                break
    except FileNotFoundError:
        pass
    ram_mib = None
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_mib = int(line.split()[1]) // 1024
    except FileNotFoundError:
        pass
    return {"cpu_model": model, "cores": os.cpu_count(), "ram_mib": ram_mib}
