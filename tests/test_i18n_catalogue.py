"""The English catalogue is complete: every msgid has a msgstr, nothing is fuzzy,
and ``msgfmt --check-format`` accepts it (placeholders kept, plurals filled).

No database and no polib: a small PO reader below, cross-checked against the
gettext tools (Debian package ``gettext``, also needed by ``compilemessages``).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def untranslated(self) -> bool:
        if not self.msgstr:
            return True
        expected = 2 if self.msgid_plural is not None else 1
        return len(self.msgstr) < expected or any(value == "" for value in self.msgstr.values())

    def describe(self) -> str:
        where = f" [{', '.join(self.references[:2])}]" if self.references else f" [line {self.line}]"
        ctxt = f"{self.msgctxt!r} | " if self.msgctxt is not None else ""
        plural = f" / {self.msgid_plural!r}" if self.msgid_plural is not None else ""
        return f"  {ctxt}{self.msgid!r}{plural}{where}"


def _unquote(token: str, path: Path, lineno: int) -> str:
    """A PO string literal; its escapes (\\n, \\t, \\", \\\\) are those of C and Python."""
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError) as exc:
        raise AssertionError(f"{path}:{lineno}: bad string literal {token}") from exc
    if not isinstance(value, str):
        raise AssertionError(f"{path}:{lineno}: bad string literal {token}")
    return value


def parse_po(path: Path) -> list[Entry]:
    """Active entries of a PO file (obsolete ``#~`` entries are skipped)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # (keyword, plural index) continuation lines extend
    pending_flags: set[str] = set()
    pending_refs: list[str] = []

    def append(entry: Entry, keyword: str, index: int | None, text: str) -> None:
        if keyword == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + text
        elif keyword == "msgid":
            entry.msgid += text
        elif keyword == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + text
        else:
            key = 0 if index is None else index
            entry.msgstr[key] = entry.msgstr.get(key, "") + text

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            target = None
            continue
        if line.startswith("#~"):
            target = None
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                current, target = None, None
            if line.startswith("#,"):
                pending_flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            elif line.startswith("#:"):
                pending_refs.extend(line[2:].split())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.group(1), match.group(2), match.group(3)
            keyword = "msgstr" if keyword.startswith("msgstr") else keyword
            starts_entry = keyword in ("msgctxt", "msgid") and (
                current is None or current.msgstr or (keyword == "msgctxt" and current.msgid))
            if starts_entry:
                current = Entry(line=lineno, flags=pending_flags, references=pending_refs)
                entries.append(current)
                pending_flags, pending_refs = set(), []
            if current is None:
                raise AssertionError(f"{path}:{lineno}: {keyword} outside an entry")
            target = (keyword, int(index) if index is not None else None)
            append(current, target[0], target[1], _unquote(token, path, lineno))
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise AssertionError(f"{path}:{lineno}: continuation line outside an entry")
            append(current, target[0], target[1], _unquote(line, path, lineno))
            continue
        raise AssertionError(f"{path}:{lineno}: cannot parse {raw!r}")
    return entries


def _gettext_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"{name} not installed (Debian package gettext)")
    return tool


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_FILE.is_file(), f"missing catalogue {PO_FILE}"
    return parse_po(PO_FILE)


def test_catalogue_has_header_and_messages(entries):
    headers = [e for e in entries if e.is_header]
    assert len(headers) == 1, "the catalogue needs exactly one header entry"
    header = headers[0].msgstr.get(0, "")
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=2;" in header
    assert len(entries) > 1


def test_no_untranslated_entries(entries):
    missing = [e for e in entries if not e.is_header and e.untranslated]
    assert not missing, (
        f"{len(missing)} untranslated entries in {PO_FILE.relative_to(ROOT)}; "
        "translate them (msgstr, and every msgstr[n] of plural entries):\n"
        + "\n".join(e.describe() for e in missing)
    )


def test_no_fuzzy_entries(entries):
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entries in {PO_FILE.relative_to(ROOT)} (gettext ignores them); "
        "check the translation and remove the fuzzy flag:\n"
        + "\n".join(e.describe() for e in fuzzy)
    )


def test_msgfmt_check_format_passes():
    msgfmt = _gettext_tool("msgfmt")
    result = subprocess.run([msgfmt, "--check-format", "-o", os.devnull, str(PO_FILE)],
                            capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    assert result.returncode == 0, f"msgfmt --check-format failed:\n{result.stdout}{result.stderr}"


def test_parser_agrees_with_msgfmt_statistics(entries):
    """The reader above counts what gettext counts, so the checks above can be trusted."""
    msgfmt = _gettext_tool("msgfmt")
    result = subprocess.run([msgfmt, "--statistics", "-o", os.devnull, str(PO_FILE)],
                            capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    report = result.stderr.strip()
    counts = {kind: int(n)
              for n, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated) messages?", report)}
    messages = [e for e in entries if not e.is_header]
    assert counts.get("translated", 0) == sum(1 for e in messages
                                              if not e.untranslated and "fuzzy" not in e.flags), report
    assert counts.get("fuzzy", 0) == 0, report
    assert counts.get("untranslated", 0) == 0, report
