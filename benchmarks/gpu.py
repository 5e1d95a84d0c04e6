"""The arena on one GPU: tournament throughput, engine against vmap, CPU/GPU verdict parity.

One prepared script for a GPU node (install from the wheelhouse first, see the README), printing

1. matches per minute and GPU utilisation (nvidia-smi sampled every 0.5 s: mean and peak) for the
   default tournament and for ``experiment=real_data``, both with ``device=<device> budget=gpu``;
2. the population engine against ``torch.func.vmap(grad)`` + one batched Adam at K = 10^3, 10^4,
   10^5 on a 2-16-1 and a 64-256-256-1 network (``benchmarks/population.py --baselines vmap``);
3. the referee's verdict on the CPU and on the device for every claim the tournaments wrote (real
   data included): the count that agree, and each one that does not.

    python benchmarks/gpu.py                          # everything, device=cuda, into a temporary folder
    python benchmarks/gpu.py --only parity --out D    # one part; keep the tournaments' folders in D
    python benchmarks/gpu.py --device cpu --quick     # a smoke run of the same code paths on a CPU

``--quick`` plays with ``budget=smoke``, a small K and one network, so the script itself can be
checked on a machine without a GPU. The last line is ``parity: A/N verdicts agree``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from tournament import phases, play  # noqa: E402  (the sibling benchmark's runner)

NETWORKS = {"2-16-1": ["--d", "2", "--hidden", "16", "--n", "100"],
            "64-256-256-1": ["--d", "64", "--hidden", "256,256", "--n", "500"]}


class GpuSampler:
    """Samples nvidia-smi's utilisation (percent) in a thread while a block runs."""

    def __init__(self, period_s: float = 0.5):
        self.period_s, self.samples = period_s, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = shutil.which("nvidia-smi") is not None

    def _run(self) -> None:
        while not self._stop.is_set():
            out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                self.samples.append(float(out.stdout.split()[0]))
            self._stop.wait(self.period_s)

    def __enter__(self) -> "GpuSampler":
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "GPU utilisation n/a (no nvidia-smi)"
        mean = sum(self.samples) / len(self.samples)
        return f"GPU utilisation mean {mean:.0f}%, peak {max(self.samples):.0f}% ({len(self.samples)} samples)"


def tournaments(device: str, quick: bool, out: Path) -> list[Path]:
    """Play the default and the real-data tournament; print matches per minute. Returns their folders."""
    budget = "smoke" if quick else "gpu"
    runs = {"default": [], "real_data": ["experiment=real_data"]}
    if not (HERE.parent / "conf" / "experiment" / "real_data.yaml").exists():
        print("real_data: no conf/experiment/real_data.yaml in this checkout; skipped")
        runs.pop("real_data")
    folders = []
    for label, extra in runs.items():
        folder = out / label
        args = [*extra, f"device={device}", f"budget={budget}", "logger=none"]
        with GpuSampler() as gpu:
            seconds, cpu = play(args, folder)
        count, _, _ = phases(folder)
        print(f"{label}: {count} matches in {seconds:.1f} s ({60 * count / seconds:.1f} matches/min, "
              f"{cpu:.0f} CPU-s); {gpu.summary()}")
        folders.append(folder)
    return folders


def state_bytes(name: str, k: int) -> int:
    """float32 bytes of K networks' parameters, gradients and Adam moments (activations not counted)."""
    widths = [int(w) for w in name.split("-")]
    params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    return 4 * 4 * params * k


def device_bytes(device: str) -> int | None:
    import torch

    if not device.startswith("cuda") or not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(torch.device(device)).total_memory


def engine_against_vmap(device: str, quick: bool) -> None:
    """benchmarks/population.py --vmap on each network and K; its ratio lines are printed as they come."""
    ks = [1000] if quick else [1000, 10_000, 100_000]
    nets = dict(list(NETWORKS.items())[:1]) if quick else NETWORKS
    for name, net in nets.items():
        for k in ks:
            needed = state_bytes(name, k)
            free = device_bytes(device)
            if free is not None and needed > 0.8 * free:
                print(f"engine vs vmap, {name}, K={k}: skipped: parameters, gradients and Adam's two "
                      f"moments alone take {needed / 2**30:.0f} GiB of the device's {free / 2**30:.0f} GiB")
                continue
            cmd = [sys.executable, str(HERE / "population.py"), "--baselines", "vmap", "--device", device, "--k", str(k), *net]
            if quick:
                cmd += ["--steps", "5", "--repeats", "1"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if "ratio" in ln or "network-steps" in ln]
            status = "" if proc.returncode == 0 else f" FAILED: {proc.stderr.strip().splitlines()[-1:]}"
            print(f"engine vs vmap, {name}, K={k}:{status}")
            for line in lines:
                print("  " + line)


def parity(device: str, folders: list[Path]) -> tuple[int, int]:
    """Judge every best claim of the folders on the CPU and on ``device``; print disagreements."""
    from arena.claims.format import load_claim
    from arena.referee.judge import judge_safely

    agree = total = 0
    for claim_file in sorted(p for f in folders for p in f.glob("matches/*/claim.json")):
        claim = load_claim(claim_file)
        on_cpu, on_device = judge_safely(claim, device="cpu"), judge_safely(claim, device=device)
        total += 1
        if on_cpu.verdict == on_device.verdict:
            agree += 1
        else:
            print(f"  differs: {claim_file.parent.name}: cpu {on_cpu.verdict}, {device} {on_device.verdict}")
    return agree, total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--quick", action="store_true", help="smoke budget, one small network, K = 1,000")
    p.add_argument("--only", choices=["tournaments", "engine", "parity"], help="one part (parity plays the tournaments)")
    p.add_argument("--out", help="keep the tournaments' folders here (default: a temporary folder)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arena-gpu-") as tmp:
        out = Path(args.out or tmp)
        start = time.perf_counter()
        if args.only in (None, "engine"):
            engine_against_vmap(args.device, args.quick)
        if args.only in (None, "tournaments", "parity"):
            folders = tournaments(args.device, args.quick, out)
            if args.only != "tournaments":
                agree, total = parity(args.device, folders)
                print(f"({time.perf_counter() - start:.0f} s in all)")
                print(f"parity: {agree}/{total} verdicts agree")
                return 0 if agree == total else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
