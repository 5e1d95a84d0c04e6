"""Build a wheelhouse for an air-gapped machine that already has torch (a cluster's GPU node).

    python .ci/wheelhouse.py [--out wheelhouse] [--python-version 3.12] [--skip numpy scipy]

Run it with the Python of an environment where the arena is installed (``make wheelhouse`` uses
``.venv``) on a machine that reaches the package index. It

1. walks the installed arena's runtime requirements (no extras unless ``--extras``) to the exact
   versions installed here, leaving out torch and everything torch itself needs;
2. downloads a binary wheel of each for the target interpreter (``--python-version``, manylinux
   x86-64), and builds a wheel of each package that ships only as a source archive
   (``antlr4-python3-runtime``, pure Python, so its wheel installs anywhere);
3. builds the arena's own wheel and writes ``requirements.txt`` pinning all of them.

On the target: ``python3 -m pip install --no-index --find-links wheelhouse -r wheelhouse/requirements.txt``
(``make install-offline WHEELHOUSE=...`` does this). ``--skip`` leaves out packages the target
already has (its own numpy and scipy, say), which keeps the folder small enough to carry.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux1_x86_64"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str, extras: tuple[str, ...] = ()) -> dict[str, str]:
    """Installed name -> version for ``root`` and everything it requires here (markers evaluated)."""
    found: dict[str, str] = {}
    visited: set[tuple[str, str]] = set()  # (package, extra): `fsspec` and `fsspec[http]` differ

    def walk(name: str, wanted: tuple[str, ...]) -> None:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            return
        key = canonical(dist.metadata["Name"])
        found[key] = dist.version
        fresh = [e for e in ("", *wanted) if (key, e) not in visited]
        visited.update((key, e) for e in fresh)
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in fresh):
                continue
            if not req.marker and "" not in fresh:
                continue
            walk(req.name, tuple(req.extras))

    walk(root, extras)
    return found


def plan(extras: tuple[str, ...], skip: list[str]) -> dict[str, str]:
    """The pinned set to ship: the arena's closure minus torch's closure, the arena and ``skip``."""
    ours = closure("localmin-arena", extras)
    if not ours:
        sys.exit("wheelhouse: localmin-arena is not installed in this Python (run `make install` first)")
    torch_side = closure("torch")
    dropped = set(torch_side) | {canonical(s) for s in skip} | {"localmin-arena"}
    return {n: v.split("+")[0] for n, v in sorted(ours.items()) if n not in dropped}


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def fetch(name: str, version: str, out: Path, python_version: str) -> str:
    """One wheel for the target: a binary from the index, else built from the source archive."""
    platform_args = [a for p in PLATFORMS for a in ("--platform", p)]
    got = pip("download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", python_version,
              "--implementation", "cp", *platform_args, "-d", str(out), f"{name}=={version}")
    if got.returncode == 0:
        return "downloaded"
    built = pip("wheel", "-q", "--no-deps", "-w", str(out), f"{name}=={version}")
    if built.returncode != 0:
        sys.exit(f"wheelhouse: no wheel for {name}=={version}: {built.stderr.strip().splitlines()[-1:]}")
    wheel = next(out.glob(f"{canonical(name).replace('-', '_')}-{version}-*.whl"), None)
    if wheel is not None and not wheel.name.endswith("-none-any.whl"):
        sys.exit(f"wheelhouse: {name}=={version} has no binary wheel for Python {python_version}; "
                 f"the one built here ({wheel.name}) would not install there")
    return "built"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="wheelhouse", help="folder for the wheels (created)")
    ap.add_argument("--python-version", default=f"{sys.version_info.major}.{sys.version_info.minor}",
                    help="the target's Python (default: this one)")
    ap.add_argument("--extras", nargs="*", default=[], help="arena extras to include, e.g. report")
    ap.add_argument("--skip", nargs="*", default=[], help="packages the target already has")
    ap.add_argument("--limit-mib", type=float, default=64.0, help="warn above this total size")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    pins = plan(tuple(args.extras), args.skip)
    for name, version in pins.items():
        how = fetch(name, version, out, args.python_version)
        print(f"{name}=={version}  {how}")
    with tempfile.TemporaryDirectory() as tmp:  # the arena's own wheel, built from this checkout
        built = pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp, str(ROOT))
        if built.returncode != 0:
            sys.exit(f"wheelhouse: building the arena's wheel failed: {built.stderr.strip()[-300:]}")
        for wheel in Path(tmp).glob("*.whl"):
            wheel.replace(out / wheel.name)
    arena_version = md.version("localmin-arena")
    lines = [f"{n}=={v}" for n, v in pins.items()] + [f"localmin-arena=={arena_version}"]
    (out / "requirements.txt").write_text("\n".join(lines) + "\n")
    total = sum(p.stat().st_size for p in out.glob("*.whl")) / 2**20
    print(f"{len(lines)} wheels, {total:.1f} MiB in {out}")
    if total > args.limit_mib:
        biggest = sorted(out.glob("*.whl"), key=lambda p: p.stat().st_size, reverse=True)[:3]
        print(f"note: above {args.limit_mib:g} MiB; the largest are "
              + ", ".join(f"{p.name} ({p.stat().st_size / 2**20:.1f} MiB)" for p in biggest)
              + "; --skip leaves out what the target already has")
    return 0


if __name__ == "__main__":
    sys.exit(main())
