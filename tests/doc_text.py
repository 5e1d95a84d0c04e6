"""The documentation as data: its pages and the shell commands of their fenced blocks.

A shell block is a fenced block whose language is ``bash``, ``sh``, ``shell`` or ``console`` (there
only the lines after a ``$`` prompt). A
command is one line of it, with ``\\`` continuations joined, the trailing ``# comment`` removed and
runs of blanks collapsed (that text is the command's key in tests/test_doc_commands.py); a line that
is only a comment is not a command.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

SHELL = ("bash", "sh", "shell", "console")
_FENCE = re.compile(r"^\s*```\s*([\w-]*)\s*$")


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[tuple[int, str, list[str]]]:
    """The fenced blocks of ``path``: (line of the opening fence, language, the lines inside)."""
    out, lang, body, start = [], None, [], 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fence = _FENCE.match(line)
        if lang is None and fence:
            lang, body, start = fence.group(1), [], number
        elif lang is not None and fence and not fence.group(1):
            out.append((start, lang, body))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):  # a '#' inside quotes is an argument, not a comment
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote else ch
        elif quote is None and ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def commands_of(lines: list[str], prompt: bool = False) -> list[str]:
    """The commands of one shell block's lines (``prompt``: only the lines after a ``$ `` prompt, the
    rest being their output, as in a ``console`` block)."""
    out, pending = [], ""
    for line in lines:
        if prompt and not pending and not line.startswith("$ "):
            continue
        text = line[2:] if line.startswith("$ ") else line
        if pending:
            text = pending + " " + text.strip()
            pending = ""
        if text.rstrip().endswith("\\"):
            pending = text.rstrip()[:-1].rstrip()
            continue
        command = " ".join(_strip_comment(text).split())
        if command:
            out.append(command)
    return out


def doc_commands() -> dict[str, list[str]]:
    """Every shell command of the docs -> where it is written (``README.md:12``, in page order)."""
    found: dict[str, list[str]] = {}
    for path in pages():
        for start, lang, body in blocks(path):
            if lang in SHELL:
                for command in commands_of(body, prompt=lang == "console"):
                    found.setdefault(command, []).append(f"{path.relative_to(ROOT)}:{start}")
    return found
