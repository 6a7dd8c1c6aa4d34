"""Summarise a py-spy raw profile (`py-spy record --format raw`): CPU share by package, by
leaf frame (self time), and the top functions, so a before/after table can be read off it.

    py-spy record -p PID -d 15 -r 200 --format raw -o bot.raw   # idle waits left out
    python benchmarks/profile_summary.py bot.raw
"""

from __future__ import annotations

import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")
PACKAGES = (
    ("sqlalchemy", "sqlalchemy"),
    ("pydantic", "pydantic"),
    ("aiosqlite", "aiosqlite"),
    ("asyncpg", "asyncpg"),
    ("aiohttp", "aiohttp"),
    ("aiogram", "aiogram"),
    ("babel", "babel"),
    ("asyncio", "asyncio"),
    ("sqlite3", "sqlite3"),
    ("json", "json"),
    ("casebot", "bot/"),
    ("casebot", "handlers/"),
    ("casebot", "policies/"),
    ("threading", "threading"),
    ("gettext", "gettext"),
)


# Leaf frames of a thread that waits (sampled without --gil they are not CPU): the loop's
# select, aiosqlite's worker and the executor's workers waiting for work.
IDLE = ("EpollSelector.select", "aiosqlite/core.py:59)", "concurrent/futures/thread.py:81)")


def package(file: str) -> str:
    for name, marker in PACKAGES:
        if marker in file:
            return name
    return "other"


def main(path: str) -> None:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8") as lines:
        samples = [line.rstrip("\n").rpartition(" ") for line in lines]
    for stack, _, count_text in samples:
        if not stack or not count_text.isdigit():
            continue
        if any(marker in stack.rsplit(";", 1)[-1] for marker in IDLE):
            continue
        count = int(count_text)
        parsed = []
        for text in stack.split(";"):
            match = FRAME.match(text)
            parsed.append((match["func"], match["file"]) if match else (text, ""))
        if not parsed:
            continue
        total += count
        func, file = parsed[-1]
        own[package(file)] += count
        functions[f"{func} ({file.rsplit('site-packages/', 1)[-1]})"] += count
        for name in {package(f) for _, f in parsed}:
            inclusive[name] += count
    print(f"samples: {total}")
    print("\n| package | self % | inclusive % |\n|---|---|---|")
    for name, count in own.most_common():
        print(f"| {name} | {100 * count / total:.1f} | {100 * inclusive[name] / total:.1f} |")
    print("\n| top functions (self) | % |\n|---|---|")
    for name, count in functions.most_common(15):
        print(f"| {name} | {100 * count / total:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
