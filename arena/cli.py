"""The ``arena`` command: ``arena verify CLAIM.json [--json]`` and friends.

``python -m arena`` (no sub-command) runs a Hydra tournament; see :mod:`arena.__main__`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

EXIT_UNREADABLE = 2


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def claim_paths(paths: Sequence[Path]) -> list[Path]:
    """Each path as given, except a folder holding no claim.json itself: every claim.json below it."""
    out: list[Path] = []
    for path in paths:
        below = sorted(path.glob("**/claim.json")) if path.is_dir() and not (path / "claim.json").exists() else []
        out.extend(below or [path])
    return out


def cmd_verify(args: argparse.Namespace) -> int:
    if args.check_certificate:
        from arena.referee.proofs.recheck import run_cli

        return run_cli(args.claims)
    from arena.claims import ClaimFileError, load_claim
    from arena.landscape.setting import code_refusal
    from arena.referee.judge import RefereeConfig, judge_safely

    overrides = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"arena verify: --set expects key=value, got {item!r}", file=sys.stderr)
            return EXIT_UNREADABLE
        overrides[key] = _parse_value(value)
    if args.allow_custom_network:
        overrides["allow_custom_network"] = True
    if args.seed is not None:  # replay a verdict: its probes and search used this seed
        overrides["seed"] = args.seed
    try:
        cfg = RefereeConfig.from_mapping(overrides)
    except (ValueError, TypeError) as exc:
        print(f"arena verify: bad referee setting: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    from arena.engine.population import resolve_device

    try:  # an absent GPU is the machine's problem, never a verdict on the claim
        resolve_device(args.device)
    except ValueError as exc:
        print(f"arena verify: --device {args.device}: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_UNREADABLE
    status = 0
    results = []
    for path in claim_paths(args.claims):
        try:
            claim = load_claim(path)
        except ClaimFileError as exc:
            print(f"arena verify: {exc}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        refusal = code_refusal(claim.setting, allow_custom_network=cfg.allow_custom_network)
        if refusal:
            print(f"arena verify: {path}: setting.{refusal}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        verdict = judge_safely(claim, cfg, device=args.device)
        if args.json:
            results.append({"claim": str(path), **verdict.to_dict()})
        else:
            print(f"== {path}")
            print(verdict.summary())
    if args.json:
        payload = results[0] if len(results) == 1 and len(args.claims) == 1 else results
        print(json.dumps(payload, indent=2, default=str))
    return status


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from arena.game import leaderboard

    out_dir = Path(args.dir)
    if not (out_dir / "matches").is_dir():
        print(f"arena leaderboard: {out_dir} has no matches/ folder (is it a tournament's out_dir?)", file=sys.stderr)
        return EXIT_UNREADABLE
    board = leaderboard.write(out_dir, sort=args.sort)
    print(leaderboard.render_terminal(board))
    print(f"leaderboard: {out_dir / 'leaderboard.md'} ({len(board['cells'])} matches)")
    return 0


def cmd_necessity(args: argparse.Namespace) -> int:
    from arena.game import necessity

    out_dir = Path(args.dir)
    if not (out_dir / "matches").is_dir():
        print(f"arena necessity: {out_dir} has no matches/ folder (is it a tournament's out_dir?)", file=sys.stderr)
        return EXIT_UNREADABLE
    rows = necessity.build(out_dir)
    print(json.dumps(rows, indent=2) if args.json else necessity.render_terminal(rows))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    out_dir = Path(args.dir)
    if not (out_dir / "matches").is_dir():
        print(f"arena report: {out_dir} has no matches/ folder (is it a tournament's out_dir?)", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        import matplotlib  # noqa: F401

        from arena.report.build import build
    except ImportError as exc:
        print(f"arena report: needs the report extra (pip install 'localmin-arena[report]'): {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    build(out_dir, force=args.force)
    if args.wandb:
        from arena.report.wandb_media import log_report

        log_report(out_dir, group=args.group)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from arena.game.describe import list_lines
    from arena.game.registry import PluginError

    try:
        print("\n".join(list_lines()))
    except PluginError as exc:
        print(f"arena list: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from arena.game import describe
    from arena.game.registry import PluginError

    try:
        entries = describe.find(args.name)
        if not entries:
            from arena.game.compose_check import did_you_mean

            names = describe.all_names()
            print(f"arena info: no plugin named {args.name!r}{did_you_mean(args.name, names)} (known: {', '.join(names)})",
                  file=sys.stderr)
            return EXIT_UNREADABLE
        print("\n\n".join(describe.info_text(e) for e in entries))
    except PluginError as exc:
        print(f"arena info: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from arena.testing.scaffold import ScaffoldError, scaffold

    try:
        root = scaffold(args.kind, args.name, Path(args.dir))
    except ScaffoldError as exc:
        print(f"arena new: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"created {root}: pip install -e {root} && pytest {root}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arena", description="Local-Min Arena")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="judge claim files and print the verdicts with their evidence")
    verify.add_argument("claims", nargs="+", type=Path,
                        help="claim.json files, folders holding one, or folders of claim folders (each one judged)")
    verify.add_argument("--json", action="store_true", help="print one JSON object per claim")
    verify.add_argument("--device", default="auto", help="auto (cuda when present), cpu or cuda")
    verify.add_argument("--check-certificate", action="store_true",
                        help="re-check the proof certificate of each claim (or verdict.json / match folder, "
                             "or every minimum of a sweep's hit_rates.json) in ball arithmetic instead of "
                             "judging; exit 1 if one fails")
    verify.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a referee tolerance, e.g. --set restarts=128")
    verify.add_argument("--allow-custom-network", action="store_true",
                        help="trust the claim's network _target_ (imports and runs that code)")
    verify.add_argument("--seed", type=int, default=None,
                        help="the referee's probe seed (default: fresh per claim; a verdict records its seed)")
    verify.set_defaults(func=cmd_verify)
    board = sub.add_parser("leaderboard", help="rebuild leaderboard.json/.md of a tournament folder from its results")
    board.add_argument("dir", help="the tournament's out_dir (holding matches/*/result.json)")
    board.add_argument("--sort", choices=("broken", "bad-basin"), default="broken",
                       help="rank defenders by in-scope breaks (default) or by pooled bad-basin rate")
    board.set_defaults(func=cmd_leaderboard)
    nec = sub.add_parser("necessity", help="for every assumption of every guarantee, the counterexamples "
                                            "that break only that assumption")
    nec.add_argument("dir", help="the tournament's out_dir")
    nec.add_argument("--json", action="store_true")
    nec.set_defaults(func=cmd_necessity)
    rep = sub.add_parser("report", help="draw every verdict and write DIR/report/index.html (a static site)")
    rep.add_argument("dir", help="the tournament's out_dir")
    rep.add_argument("--force", action="store_true", help="redraw pictures that are newer than their verdict")
    rep.add_argument("--wandb", action="store_true", help="also log the pictures, claims and report to wandb "
                                                          "(new runs in the tournament's group; offline unless WANDB_MODE says otherwise)")
    rep.add_argument("--group", default=None, help="wandb group (default: the tournament's name)")
    rep.set_defaults(func=cmd_report)
    lister = sub.add_parser("list", help="the installed attacker and defender plugins, one line each")
    lister.set_defaults(func=cmd_list)
    info = sub.add_parser("info", help="a plugin's config, docstring, paper and (defenders) guarantee")
    info.add_argument("name", help="the plugin's name, as `arena list` shows it")
    info.set_defaults(func=cmd_info)
    new = sub.add_parser("new", help="scaffold a plugin package (entry point, plugin, a test using arena.testing)")
    new.add_argument("kind", choices=["attacker", "defender"])
    new.add_argument("name", help="the plugin's name, a Python identifier (e.g. my_trap)")
    new.add_argument("--dir", default=".", help="where the package folder is created (default: here)")
    new.set_defaults(func=cmd_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:  # `arena info X | head`: the reader left; stop quietly, exit non-zero
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
        return 1


if __name__ == "__main__":
    sys.exit(main())
