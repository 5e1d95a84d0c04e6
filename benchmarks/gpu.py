"""The arena on one GPU: tournament throughput, engine against vmap, CPU/GPU verdict parity.

One prepared script for a GPU node (install from the wheelhouse first, see the README), printing

1. matches per minute and GPU utilisation (nvidia-smi sampled every 0.5 s: mean and peak) for the
   default tournament (``device=<device>``, its own ``budget=cpu`` unless ``--budget`` says
   otherwise) and cells per minute for ``experiment=real_data`` (the bad-basin sweep) on the device;
2. the population engine against ``torch.func.vmap(grad)`` + one batched Adam at K = 10^3, 10^4,
   10^5 on a 2-16-1 and a 64-256-256-1 network (``benchmarks/population.py --baselines vmap``);
3. the referee's verdict on the CPU and on the device for every claim the runs wrote (the
   tournament's matches and the sweep's judged real-data points): the count that agree, and each
   one that does not;
4. one cell of ``experiment=safran_shamir_large`` (k = n = 50, 100 restarts) on the device and on the
   CPU: seconds per restart, their ratio, and whether the two censuses agree (the time of the full
   k = 25..100 sweep on the device follows from it).

    python benchmarks/gpu.py                          # everything, device=cuda, into a temporary folder
    python benchmarks/gpu.py --only parity --out D    # one part; reuses the runs already in D
    python benchmarks/gpu.py --set gpu_slots_per_device=8 basins.workers=8   # overrides for both runs
    python benchmarks/gpu.py --device cpu --quick     # a smoke run of the same code paths on a CPU

``--quick`` plays with ``budget=smoke``, a small K, one network and a two-cell sweep, so the script
itself can be checked on a machine without a GPU. The last line is ``parity: A/N verdicts agree``.
"""
from __future__ import annotations

import argparse
import json
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


QUICK_SWEEP = ["basins.data=[iris]", "basins.neurons=[relu]", "basins.widths=[2,4]", "basins.restarts=20",
               "basins.steps=50", "basins.polish_iters=50"]


def tournaments(device: str, quick: bool, out: Path, budget: str, extra: list[str]) -> list[Path]:
    """Play the default tournament and the real-data sweep; print their rates. Returns their folders."""
    runs = {"default": [f"budget={'smoke' if quick else budget}"], "real_data": ["experiment=real_data"]}
    if quick:
        runs["real_data"] += QUICK_SWEEP
    if not (HERE.parent / "conf" / "experiment" / "real_data.yaml").exists():
        print("real_data: no conf/experiment/real_data.yaml in this checkout; skipped")
        runs.pop("real_data")
    folders = []
    for label, args in runs.items():
        folder = out / label
        if _played(folder):
            print(f"{label}: reusing {folder}")
            folders.append(folder)
            continue
        own = [a.split("=")[0] for a in args]
        wanted = [a for a in extra if a.split("=")[0] not in own and (label == "real_data") == a.startswith("basins.")]
        with GpuSampler() as gpu:
            seconds, cpu = play([*args, *wanted, f"device={device}", "logger=none"], folder)
        print(f"{label}: {rate(folder, seconds)} ({cpu:.0f} CPU-s); {gpu.summary()}")
        folders.append(folder)
    return folders


def _played(folder: Path) -> bool:
    return (folder / "basins.json").exists() or any(folder.glob("matches/*/result.json"))


def rate(folder: Path, seconds: float) -> str:
    """``N matches in S s (R matches/min)``, or cells and restarts per second for a sweep."""
    sweep = folder / "basins.json"
    if sweep.exists():
        cells = json.loads(sweep.read_text())["cells"]
        restarts = sum(c["row"]["restarts"] for c in cells)
        return (f"{len(cells)} cells in {seconds:.1f} s ({60 * len(cells) / seconds:.1f} cells/min, "
                f"{restarts / seconds:.0f} restarts/s)")
    count, _, _ = phases(folder)
    return f"{count} matches in {seconds:.1f} s ({60 * count / seconds:.1f} matches/min)"


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


def engine_against_vmap(device: str, quick: bool, repeats: int = 3) -> None:
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
            cmd += ["--steps", "5", "--repeats", "1"] if quick else ["--repeats", str(repeats)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if "ratio" in ln or "network-steps" in ln]
            status = "" if proc.returncode == 0 else f" FAILED: {proc.stderr.strip().splitlines()[-1:]}"
            print(f"engine vs vmap, {name}, K={k}:{status}")
            for line in lines:
                print("  " + line)


def parity(device: str, folders: list[Path]) -> tuple[int, int]:
    """Judge every claim of the folders (matches and sweep points) on the CPU and on ``device``."""
    from arena.claims.format import load_claim
    from arena.referee.judge import judge_safely

    agree = total = 0
    files = [p for f in folders for pattern in ("matches/*/claim.json", "claims/*.json") for p in f.glob(pattern)]
    for claim_file in sorted(files):
        claim = load_claim(claim_file)
        on_cpu, on_device = judge_safely(claim, device="cpu"), judge_safely(claim, device=device)
        total += 1
        if on_cpu.verdict == on_device.verdict:
            agree += 1
        else:
            name = claim_file.parent.name if claim_file.name == "claim.json" else claim_file.stem
            print(f"  differs: {name}: cpu {on_cpu.verdict}, {device} {on_device.verdict}")
    return agree, total


def teacher_student(device: str, quick: bool) -> None:
    """One Safran–Shamir cell (n = k) on ``device`` and on the CPU: wall seconds per restart and the census."""
    from arena.game.sweep import run_cell

    k, restarts = (12, 8) if quick else (50, 100)
    rows = {}
    for where in dict.fromkeys([device, "cpu"]):
        start = time.perf_counter()
        cell = run_cell(k, k, restarts, 200_000, 0, prove=False, device=where)
        seconds = time.perf_counter() - start
        row = cell["row"]
        rows[where] = (row["spurious"], row["distinct_minima"], row["min_spurious_loss"])
        print(f"teacher-student k = n = {k}, {restarts} restarts on {where}: {seconds / restarts:.2f} s per restart, "
              f"{row['spurious']} spurious, {row['distinct_minima']} distinct, families {row['family_minima'] or '-'}")
    if len(rows) == 2:
        a, b = rows.values()
        same = a[:2] == b[:2] and (a[2] is None) == (b[2] is None) and (a[2] is None or abs(a[2] - b[2]) < 1e-10)
        print(f"teacher-student census on {device} and cpu: {'the same' if same else 'DIFFERENT'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--quick", action="store_true", help="smoke budget, one small network, K = 1,000")
    p.add_argument("--only", choices=["tournaments", "engine", "parity", "teacher_student"],
                   help="one part (parity plays the tournaments)")
    p.add_argument("--out", help="keep the runs' folders here (default: a temporary folder); runs already there are reused")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per method in the engine/vmap part (the best is reported)")
    p.add_argument("--budget", default="cpu", help="the tournament's budget (default: cpu, the default tournament's own)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="overrides: basins.* go to the sweep, the rest to the tournament")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arena-gpu-") as tmp:
        out = Path(args.out or tmp)
        start = time.perf_counter()
        if args.only in (None, "engine"):
            engine_against_vmap(args.device, args.quick, args.repeats)
        if args.only in (None, "teacher_student"):
            teacher_student(args.device, args.quick)
        if args.only in (None, "tournaments", "parity"):
            folders = tournaments(args.device, args.quick, out, args.budget, args.set)
            if args.only != "tournaments":
                agree, total = parity(args.device, folders)
                print(f"({time.perf_counter() - start:.0f} s in all)")
                print(f"parity: {agree}/{total} verdicts agree")
                return 0 if agree == total else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
