"""Which worker processes a tournament starts and which device each one is pinned to.

Pure logic (no torch, no processes), so it is tested with fake device lists:

* no GPU (or ``device=cpu``): ``workers`` CPU workers (``auto``: one per core), each with
  ``cores // workers`` torch threads;
* G visible GPUs: ``gpu_slots_per_device`` workers per GPU (several small matches share one GPU),
  dealt round-robin so the first G workers land on G different GPUs. Each worker sees only its GPU
  (``CUDA_VISIBLE_DEVICES=<id>``) and plays on ``cuda``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Slot:
    """One worker process: its index, the device its matches use, its GPU pin and torch threads."""

    index: int
    device: str  # "cpu" or "cuda" (the worker's only visible GPU)
    gpu: str | None  # value for CUDA_VISIBLE_DEVICES, None: leave the environment alone
    threads: int

    def env(self) -> dict[str, str]:
        """Environment variables the worker sets before anything touches CUDA."""
        return {} if self.gpu is None else {"CUDA_VISIBLE_DEVICES": self.gpu}


def visible_gpus(env: Mapping[str, str] | None = None, device_count: int | None = None) -> list[str]:
    """GPU ids this process may hand out: ``CUDA_VISIBLE_DEVICES`` entries if set, else 0..count-1.

    ``device_count`` defaults to ``torch.cuda.device_count()`` (0 without CUDA).
    """
    env = os.environ if env is None else env
    if device_count is None:
        import torch  # only to count GPUs: planning slots is plain arithmetic

        device_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        ids = [part.strip() for part in listed.split(",") if part.strip()]
        return ids[:device_count] if device_count else []
    return [str(i) for i in range(device_count)]


def cpu_cores() -> int:
    """Cores this process may run on (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def plan_slots(device: str, gpus: Sequence[str], *, workers: int | str = "auto", gpu_slots_per_device: int = 2,
               cores: int | None = None, matches: int | None = None) -> list[Slot]:
    """The workers to start for ``device`` ("auto", "cpu", "cuda", "cuda:i") given visible ``gpus``.

    ``workers``: "auto" or a positive count (on GPUs: at most G x slots); ``matches`` caps the count
    (no idle workers for a small grid). Raises ValueError for a CUDA request without GPUs.
    """
    cores = cores or cpu_cores()
    name = str(device).strip().lower()
    if workers != "auto" and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer or 'auto', got {workers!r}")
    if isinstance(gpu_slots_per_device, bool) or not isinstance(gpu_slots_per_device, int) or gpu_slots_per_device < 1:
        raise ValueError(f"gpu_slots_per_device must be a positive integer, got {gpu_slots_per_device!r}")
    if name.startswith("cuda"):
        if not gpus:
            raise ValueError(f"device {device!r} requested but no CUDA device is visible")
        if ":" in name:
            index = int(name.split(":", 1)[1])
            if index >= len(gpus):
                raise ValueError(f"device {device!r} requested but only {len(gpus)} CUDA device(s) are visible")
            gpus = [gpus[index]]
    use_gpu = bool(gpus) and name != "cpu"
    if use_gpu:
        pins: list[str | None] = [g for _ in range(gpu_slots_per_device) for g in gpus]
    else:
        pins = [None] * cores
    count = len(pins) if workers == "auto" else min(int(workers), len(pins)) if use_gpu else int(workers)
    if matches is not None:
        count = min(count, max(1, matches))
    pins = (pins * (count // max(1, len(pins)) + 1))[:count]
    threads = max(1, cores // count)
    return [Slot(i, "cuda" if pin is not None else "cpu", pin, threads) for i, pin in enumerate(pins)]
