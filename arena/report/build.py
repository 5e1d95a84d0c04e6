"""``arena report DIR``: pictures for every judged match, then the static site.

Pictures land beside each ``verdict.json`` as ``fig_<name>.png`` with their data as
``fig_<name>.json``; a match whose pictures are newer than its verdict is not drawn again
(``force=True`` redraws). The site is ``DIR/report/index.html`` (see :mod:`arena.report.site`).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Callable

from arena.game.grid_record import result_paths
from arena.report import data as D

FIGURES = ("segment", "slice", "probes", "spectrum", "path", "decision")


def compute_match(md: D.MatchData) -> dict[str, dict[str, Any]]:
    """The data of every picture that applies to this claim: name -> JSON-ready dict."""
    out: dict[str, dict[str, Any]] = {}
    if md.claim.kind == "path":
        out["path"] = D.path_curve(md)
        v = D.flat_point(md, md.claim.theta) if set(md.claim.theta) == set(md.setting.param_shapes) else None
        w = D.flat_point(md, md.claim.witness)
        if v is not None:
            dec = D.decision(md, v, None if w is None else (w, "witness"))
            if dec is not None:
                out["decision"] = dec
        return out
    v = D.centre(md)
    spec = D.spectrum(md, v)
    out["probes"], descent = D.probes(md, v, spec)
    tgt = D.target(md, v, descent)
    if tgt is not None:
        out["segment"] = D.segment(md, v, *tgt)
    out["slice"] = D.slice_2d(md, v, tgt, spec, descent)
    out["spectrum"] = D.spectrum_data(md, spec)
    dec = D.decision(md, v, tgt)
    if dec is not None:
        out["decision"] = dec
    return out


def _finite(value: Any) -> Any:
    """JSON has no NaN or inf: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def existing_figures(match_dir: Path) -> list[Path]:
    return [match_dir / f"fig_{n}.png" for n in FIGURES if (match_dir / f"fig_{n}.png").is_file()]


def _fresh(match_dir: Path) -> bool:
    figs = existing_figures(match_dir)
    verdict = match_dir / "verdict.json"
    return bool(figs) and verdict.is_file() and all(f.stat().st_mtime >= verdict.stat().st_mtime for f in figs)


def draw_match(match_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Compute and draw the pictures of one match folder; returns the PNG paths (empty: nothing to draw)."""
    from arena.report import figures

    match_dir = Path(match_dir)
    if not force and _fresh(match_dir):
        return existing_figures(match_dir)
    md = D.load_match(match_dir)
    if md is None:
        return []
    for old in match_dir.glob("fig_*"):
        old.unlink()
    paths = []
    for name, d in compute_match(md).items():
        d = _finite(d)
        (match_dir / f"fig_{name}.json").write_text(json.dumps(d) + "\n")
        draw: Callable = getattr(figures, f"draw_{name}")
        paths.append(draw(d, match_dir / f"fig_{name}.png"))
    return paths


def build(out_dir: str | Path, *, force: bool = False, log: Callable[[str], None] = print) -> Path:
    """Draw every match of ``out_dir`` and write the site; returns the path of ``index.html``."""
    from arena.report import site

    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    drawn = 0
    for match_dir in [p.parent for p in result_paths(out_dir)]:
        try:
            drawn += bool(draw_match(match_dir, force=force))
        except Exception as exc:  # noqa: BLE001 - one bad match must not stop the report
            log(f"report: no pictures for {match_dir.name}: {exc}")
    index = site.write_site(out_dir)
    log(f"report: {index} ({drawn} matches with pictures, {time.perf_counter() - t0:.1f} s)")
    return index
