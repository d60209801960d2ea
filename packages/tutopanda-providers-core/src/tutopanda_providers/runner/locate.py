"""Find where a dotted key sits in a TOML text, so errors can name the line.

``tomllib`` returns plain dicts without positions. To point at the line of a bad key we scan the
text: table headers (``[jobs.script]``, ``[[x]]``) set the current table, ``key = value`` lines
(with dotted and quoted keys) add to it, and the line whose full key path best matches the
wanted path wins. Inline tables are matched by their first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def split_key(text: str) -> list[str]:
    """Split a TOML dotted key (``a."b.c".d``) into its parts."""
    parts: list[str] = []
    i = 0
    text = text.strip()
    while i < len(text):
        ch = text[i]
        if ch in " \t.":
            i += 1
            continue
        if ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                parts.append(text[i + 1 :])
                break
            parts.append(text[i + 1 : end])
            i = end + 1
            continue
        match = _BARE.match(text, i)
        if not match:
            break
        parts.append(match.group(0))
        i = match.end()
    return parts


def _key_of_line(line: str) -> str | None:
    """The key part of a ``key = value`` line, or ``None``."""
    depth_quote: str | None = None
    for i, ch in enumerate(line):
        if depth_quote:
            if ch == depth_quote:
                depth_quote = None
        elif ch in "\"'":
            depth_quote = ch
        elif ch == "=":
            return line[:i]
        elif ch == "#":
            return None
    return None


def find_line(text: str, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the key ``path`` in TOML ``text`` (best prefix match), or ``None``."""
    wanted = [str(p) for p in path if not isinstance(p, int)]
    if not wanted:
        return None
    best: tuple[int, int] | None = None  # (matched parts, line)
    table: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            inner = line.lstrip("[").split("]", 1)[0]
            table = split_key(inner)
            full = table
        else:
            key = _key_of_line(line)
            if key is None:
                continue
            full = [*table, *split_key(key)]
        matched = 0
        for a, b in zip(full, wanted, strict=False):
            if a != b:
                break
            matched += 1
        if matched == 0 or matched < min(len(full), len(wanted)):
            continue
        if best is None or matched > best[0]:
            best = (matched, number)
    return best[1] if best else None


def where(file: str, text: str | None, path: Sequence[str | int]) -> str:
    """``file:line`` (or just ``file``) for ``path`` in ``text``."""
    line = find_line(text, path) if text is not None else None
    return f"{file}:{line}" if line else file


def dotted(path: Sequence[str | int]) -> str:
    """A readable key path: ``jobs.script.inputs.segments[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            piece = part if _BARE.fullmatch(part) else f'"{part}"'
            out += f".{piece}" if out else piece
    return out


__all__ = ["dotted", "find_line", "split_key", "where"]
