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


def cmd_verify(args: argparse.Namespace) -> int:
    from arena.claims import ClaimFileError, load_claim
    from arena.referee.judge import RefereeConfig, judge_safely

    overrides = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"arena verify: --set expects key=value, got {item!r}", file=sys.stderr)
            return EXIT_UNREADABLE
        overrides[key] = _parse_value(value)
    if args.seed is not None:  # replay a verdict: its probes and search used this seed
        overrides["seed"] = args.seed
    try:
        cfg = RefereeConfig.from_mapping(overrides)
    except (ValueError, TypeError) as exc:
        print(f"arena verify: bad referee setting: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    status = 0
    results = []
    for path in args.claims:
        try:
            claim = load_claim(path)
        except ClaimFileError as exc:
            print(f"arena verify: {exc}", file=sys.stderr)
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
    board = leaderboard.write(out_dir)
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


def cmd_list(args: argparse.Namespace) -> int:
    from arena.game.registry import PluginError, discover

    try:
        for kind in ("attacker", "defender"):
            print(f"{kind}s:")
            for name, entry in discover(kind).items():
                print(f"  {name:24s} {entry.target}  ({entry.package})")
    except PluginError as exc:
        print(f"arena list: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arena", description="Local-Min Arena")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="judge claim files and print the verdicts with their evidence")
    verify.add_argument("claims", nargs="+", type=Path, help="claim.json files (or folders holding one)")
    verify.add_argument("--json", action="store_true", help="print one JSON object per claim")
    verify.add_argument("--device", default="auto", help="auto (cuda when present), cpu or cuda")
    verify.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a referee tolerance, e.g. --set restarts=128")
    verify.add_argument("--seed", type=int, default=None,
                        help="the referee's probe seed (default: fresh per claim; a verdict records its seed)")
    verify.set_defaults(func=cmd_verify)
    board = sub.add_parser("leaderboard", help="rebuild leaderboard.json/.md of a tournament folder from its results")
    board.add_argument("dir", help="the tournament's out_dir (holding matches/*/result.json)")
    board.set_defaults(func=cmd_leaderboard)
    nec = sub.add_parser("necessity", help="for every assumption of every guarantee, the counterexamples "
                                            "that break only that assumption")
    nec.add_argument("dir", help="the tournament's out_dir")
    nec.add_argument("--json", action="store_true")
    nec.set_defaults(func=cmd_necessity)
    lister = sub.add_parser("list", help="list the installed attacker and defender plugins")
    lister.set_defaults(func=cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
