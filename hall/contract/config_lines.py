"""Where each key of a TOML document is written: the line numbers that tomllib does not give.

`LineMap(text)` scans the raw text once and maps key paths to 1-based line numbers. A key
path is a tuple of table keys and array indexes, the indexes counted from 0 as in Python:
``("windows", 1, "services")`` is the ``services`` key of the second ``[[windows]]``. It knows

- ``[table]`` and ``[[array]]`` headers, counting array-of-tables entries per array (also
  nested ones such as ``[[a.b]]`` under ``[[a]]``), and dotted or quoted header names;
- ``key = value`` lines, dotted and quoted keys included;
- inline tables (``broker = {url = "..."}``) and arrays, including entries of arrays that
  span several lines, and arrays of inline tables (``services = [{code = "A"}, ...]``);
- strings of all four kinds, multi-line ones included, so that a ``[`` or ``=`` inside a
  string is never taken for a header or a key, and comments.

`LineMap.line_of(path)` falls back to the nearest enclosing key it knows, so a missing key
points at the header of the table it belongs in. The scanner is meant for text that tomllib
has accepted; on anything else it gives up on the rest of the line and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PathPart = str | int
KeyPath = tuple[PathPart, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# A scalar value: numbers, booleans, dates and times (a local date-time may hold one space).
_SCALAR = re.compile(r"\d{4}-\d\d-\d\d[ Tt]\d\d:\d\d[^\s,\]}#]*|[^\s,\]}#]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_MAX_DEPTH = 64  # nested arrays / inline tables followed; deeper ones are skipped


class LineMap:
    """Line numbers (1-based) of the headers, keys and array entries of one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        _Scanner(text, self._lines).run()

    def exact(self, path: Sequence[PathPart]) -> int | None:
        """The line where exactly this key path is written, if it is written anywhere."""
        return self._lines.get(tuple(path))

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The line of `path`, or else of its nearest enclosing table, key or entry."""
        key = tuple(path)
        while key:
            line = self._lines.get(key)
            if line is not None:
                return line
            key = key[:-1]
        return None


class _Scanner:
    def __init__(self, text: str, out: dict[KeyPath, int]) -> None:
        self.text = text
        self.end = len(text)
        self.pos = 0
        self.out = out
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path -> entries seen so far
        self.table: KeyPath = ()  # the table the current key/value lines belong to

    # -- helpers ----------------------------------------------------------------------------

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def record(self, path: KeyPath, line: int) -> None:
        self.out.setdefault(path, line)

    def record_key(self, base: KeyPath, keys: tuple[str, ...], line: int) -> None:
        for i in range(1, len(keys) + 1):
            self.record(base + keys[:i], line)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_blank(self, *, newlines: bool = False) -> None:
        """Skip spaces and tabs; with `newlines`, also line breaks and comments."""
        text = self.text
        while self.pos < self.end:
            c = text[self.pos]
            if c in " \t" or (newlines and c in "\r\n"):
                self.pos += 1
            elif newlines and c == "#":
                self.skip_line()
            else:
                return

    def skip_line(self) -> None:
        found = self.text.find("\n", self.pos)
        self.pos = self.end if found < 0 else found + 1

    # -- statements -------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= self.end:
                return
            if self.peek() == "[":
                self.header()
            else:
                self.key_value()
            self.skip_line()  # the rest of the line is blank or a comment (or not understood)

    def header(self) -> bool:
        line = self.line()
        is_array = self.peek(2) == "[["
        self.pos += 2 if is_array else 1
        self.skip_blank()
        keys = self.key()
        if keys is None:
            return False
        self.skip_blank()
        close = "]]" if is_array else "]"
        if self.peek(len(close)) != close:
            return False
        self.pos += len(close)
        path = self.resolve(keys[:-1] if is_array else keys)
        if is_array:
            path += (keys[-1],)
            index = self.arrays.get(path, 0)
            self.arrays[path] = index + 1
            self.record(path, line)
            path += (index,)
        for i in range(1, len(path) + 1):
            self.record(path[:i], line)
        self.table = path
        return True

    def resolve(self, keys: tuple[str, ...]) -> KeyPath:
        """A header's key path, with the current entry index after each array of tables."""
        path: KeyPath = ()
        for key in keys:
            path += (key,)
            count = self.arrays.get(path)
            if count:
                path += (count - 1,)
        return path

    def key_value(self) -> bool:
        line = self.line()
        keys = self.key()
        if keys is None:
            return False
        self.skip_blank()
        if self.peek() != "=":
            return False
        self.pos += 1
        self.skip_blank()
        self.record_key(self.table, keys, line)
        return self.value(self.table + keys, 0)

    def key(self) -> tuple[str, ...] | None:
        parts: list[str] = []
        while True:
            self.skip_blank()
            c = self.peek()
            part: str | None
            if c in ('"', "'"):
                part = self.string(single_line=True)
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                part = None
                if match:
                    self.pos = match.end()
                    part = match.group()
            if part is None:
                return None
            parts.append(part)
            self.skip_blank()
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    # -- values -----------------------------------------------------------------------------

    def value(self, path: KeyPath, depth: int) -> bool:
        c = self.peek()
        if c in ('"', "'"):
            return self.string() is not None
        if c in ("[", "{"):
            if depth >= _MAX_DEPTH:
                return False
            return self.array(path, depth) if c == "[" else self.inline_table(path, depth)
        match = _SCALAR.match(self.text, self.pos)
        if match is None:
            return False
        self.pos = match.end()
        return True

    def array(self, path: KeyPath, depth: int) -> bool:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= self.end:
                return False
            if self.peek() == "]":
                self.pos += 1
                return True
            item = (*path, index)
            self.record(item, self.line())
            if not self.value(item, depth + 1):
                return False
            self.skip_blank(newlines=True)
            c = self.peek()
            self.pos += 1
            if c == "]":
                return True
            if c != ",":
                return False
            index += 1

    def inline_table(self, path: KeyPath, depth: int) -> bool:
        self.pos += 1
        self.skip_blank(newlines=True)
        if self.peek() == "}":
            self.pos += 1
            return True
        while True:
            self.skip_blank(newlines=True)
            line = self.line()
            keys = self.key()
            if keys is None:
                return False
            self.skip_blank()
            if self.peek() != "=":
                return False
            self.pos += 1
            self.skip_blank()
            self.record_key(path, keys, line)
            if not self.value(path + keys, depth + 1):
                return False
            self.skip_blank(newlines=True)
            c = self.peek()
            self.pos += 1
            if c == "}":
                return True
            if c != ",":
                return False

    def string(self, *, single_line: bool = False) -> str | None:
        """Read the string at `pos`; its decoded text (exact for single-line ones) or None."""
        text = self.text
        quote = text[self.pos]
        if not single_line and text.startswith(quote * 3, self.pos):
            return self.multi_line_string(quote)
        i = self.pos + 1
        out: list[str] = []
        while i < self.end:
            c = text[i]
            if c == "\n":
                return None
            if c == quote:
                self.pos = i + 1
                return "".join(out)
            if c == "\\" and quote == '"':
                nxt = text[i + 1 : i + 2]
                if nxt in ("u", "U"):
                    width = 4 if nxt == "u" else 8
                    digits = text[i + 2 : i + 2 + width]
                    if not _HEX.fullmatch(digits) or len(digits) != width:
                        return None
                    code = int(digits, 16)
                    if code > 0x10FFFF:
                        return None
                    out.append(chr(code))
                    i += 2 + width
                    continue
                if nxt not in _ESCAPES:
                    return None
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            out.append(c)
            i += 1
        return None

    def multi_line_string(self, quote: str) -> str | None:
        text = self.text
        i = self.pos + 3
        while i < self.end:
            if text[i] == "\\" and quote == '"':
                i += 2
                continue
            if text.startswith(quote * 3, i):
                close = i + 3
                while close < self.end and close - i < 5 and text[close] == quote:
                    close += 1  # up to two quotes right before the closing ones belong to the text
                body = text[self.pos + 3 : close - 3]
                self.pos = close
                return body
            i += 1
        return None
