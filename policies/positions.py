"""Where each key of a TOML text is written: tomllib gives values without positions, so error
messages find their line here (best effort, for the shapes people write by hand)."""

from __future__ import annotations

_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.line = 1
        self.lines: dict[str, int] = {}
        self.array_tables: dict[str, int] = {}

    # Characters.
    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.peek() == "\n":
                self.line += 1
            self.at += 1

    def skip_blank(self, newlines: bool) -> None:
        while self.peek():
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                while self.peek() and self.peek() != "\n":
                    self.advance()
            else:
                return

    def skip_string(self) -> str:
        """Skips a string at the cursor and returns its (unescaped enough) content."""
        quote = self.peek()
        triple = self.peek(1) == quote and self.peek(2) == quote
        if triple:
            self.advance(3)
            start = self.at
            while self.peek() and not (
                self.peek() == quote and self.peek(1) == quote and self.peek(2) == quote
            ):
                if quote == '"' and self.peek() == "\\":
                    self.advance()
                self.advance()
            content = self.text[start : self.at]
            self.advance(3)
            return content
        self.advance()
        start = self.at
        while self.peek() and self.peek() not in (quote, "\n"):
            if quote == '"' and self.peek() == "\\":
                self.advance()
            self.advance()
        content = self.text[start : self.at]
        self.advance()
        return content

    def note(self, path: str, line: int) -> None:
        self.lines.setdefault(path, line)

    # Keys: bare, quoted, dotted.
    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.skip_string())
            else:
                start = self.at
                while self.peek() and self.peek() in _BARE:
                    self.advance()
                if self.at == start:
                    return parts
                parts.append(self.text[start : self.at])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def assign(self, base: str) -> None:
        """A `key = value` at the cursor, inside the table named `base`."""
        line = self.line
        parts = self.key()
        if not parts or self.peek() != "=":
            self.skip_rest_of_line()
            return
        self.advance()
        path = base
        for part in parts:
            path = f"{path}.{part}" if path else part
            self.note(path, line)
        self.value(path)

    def value(self, path: str) -> None:
        self.skip_blank(newlines=False)
        char = self.peek()
        if char in ('"', "'"):
            self.skip_string()
        elif char == "{":
            self.inline_table(path)
        elif char == "[":
            self.array(path)
        else:
            while self.peek() and self.peek() not in ",]}\n#":
                self.advance()

    def inline_table(self, path: str) -> None:
        self.advance()  # {
        while self.peek():
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            before = self.at
            self.assign(path)
            if self.at == before:
                self.advance()

    def array(self, path: str) -> None:
        self.advance()  # [
        index = 0
        while self.peek():
            self.skip_blank(newlines=True)
            char = self.peek()
            if char == "]":
                self.advance()
                return
            if char == ",":
                index += 1
                self.advance()
                continue
            element = f"{path}[{index}]"
            self.note(element, self.line)
            before = self.at
            self.value(element)
            if self.at == before:
                self.advance()

    def header(self) -> str:
        line = self.line
        double = self.peek(1) == "["
        self.advance(2 if double else 1)
        parts = self.key()
        self.skip_blank(newlines=False)
        self.advance(2 if double else 1)
        path = ""
        for part in parts:
            path = f"{path}.{part}" if path else part
            self.note(path, line)
        if double:
            index = self.array_tables.get(path, -1) + 1
            self.array_tables[path] = index
            path = f"{path}[{index}]"
            self.note(path, line)
        self.skip_rest_of_line()
        return path

    def skip_rest_of_line(self) -> None:
        while self.peek() and self.peek() != "\n":
            if self.peek() in ('"', "'"):
                self.skip_string()
            else:
                self.advance()

    def scan(self) -> dict[str, int]:
        table = ""
        while self.peek():
            self.skip_blank(newlines=True)
            if not self.peek():
                break
            if self.peek() == "[":
                table = self.header()
            else:
                before = self.at
                self.assign(table)
                if self.at == before:
                    self.advance()
        return self.lines


def key_lines(text: str) -> dict[str, int]:
    """Line (1-based) of every key path written in the text: "roles.frontline.limits[1].scope",
    "budgets[0].amount", "digest.time"; table headers give the line of their table."""
    try:
        return _Scanner(text).scan()
    except (IndexError, RecursionError):  # a text this odd gets no line numbers
        return {}


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest written parent when the key itself is missing."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
