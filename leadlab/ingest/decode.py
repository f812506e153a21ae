"""Strict text decoding of a CSV export, with no decoded copy on disk.

:func:`open_text` checks the whole file in its encoding (given, or detected:
BOM, strict UTF-8, strict GB18030, a charset-normalizer guess) in 1 MB
blocks. The first byte that does not decode refuses the file with its line,
data row and byte offset. A file that is valid UTF-8 with non-ASCII text up to
a bad byte is UTF-8 with a broken part: it is refused, never re-read whole in
another encoding (which would silently turn 张伟 into mojibake).

UTF-8 files are handed to DuckDB as they are. Other encodings are decoded to
UTF-8 into an anonymous memory file (``memfd_create``; elsewhere a temporary
file unlinked as soon as it is opened) that DuckDB reads through
``/proc/self/fd/N``: the decoded rows, which hold raw phone numbers, e-mails
and names, never have a name on disk and vanish with the process, even under
SIGKILL. :func:`clean_stale_temp` removes ``leadlab-ingest-*`` folders that
earlier versions left in the temp folder after a crash.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "reps.csv"
>>> _ = p.write_bytes("rep_id,team\\nR001,北区\\n".encode("gb18030"))
>>> with open_text(p, None) as text:
...     text.encoding, text.n_lines, pathlib.Path(text.source).read_text(encoding="utf-8")
('gb18030', 2, 'rep_id,team\\nR001,北区\\n')
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leadlab.errors import ConfigError, DataError, file_detail, location, row_label
from leadlab.i18n import _

BLOCK = 1 << 20
SAMPLE_BYTES = 256 * 1024
TEMP_PREFIX = "leadlab-ingest-"

#: Encoding names accepted by --encoding besides any Python codec name.
ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-bom": "utf-8-sig",
    "utf-8-bom": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
    "cp936": "gb18030",
}
UTF8 = ("utf-8", "utf-8-sig")
SHOWN = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}


def normalize_encoding(name: str) -> str:
    """The codec to use for a user-given encoding name; ConfigError when Python does not know it.

    >>> normalize_encoding("GBK"), normalize_encoding("utf8")
    ('gb18030', 'utf-8')
    """
    key = name.strip().lower().replace("_", "-")
    if key in ENCODING_ALIASES:
        return ENCODING_ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise ConfigError(_("unknown encoding {name} (--encoding); use utf-8, utf-8-sig, gb18030 (also for "
                            "GBK/GB2312) or another Python codec name", name=repr(name[:40]))) from None


@dataclass
class BadBytes(Exception):
    """Where strict decoding failed: the encoding, absolute byte offset and 1-based line."""

    encoding: str
    offset: int
    line: int
    reason: str
    text_before: bool = False  # non-ASCII text decoded cleanly before the bad byte

    def where(self) -> str:
        """``row 3 (line 4), byte offset 120``: a data row counts from 1 after the header line."""
        row = _("the header line") if self.line == 1 else row_label(self.line - 1, line=self.line)
        return _("{row}, byte offset {offset}", row=row, offset=str(self.offset))

    def message(self, path: Path, advice: str) -> str:
        shown = SHOWN.get(self.encoding, self.encoding)
        return _("{where}: not valid {encoding} ({reason}); {advice}", where=location(path.name, self.where()),
                 encoding=shown, reason=self.reason, advice=advice)


def scan(path: Path, encoding: str, sink=None) -> int:
    """Decode all of ``path`` strictly; write the text as UTF-8 to ``sink`` (a binary file) when
    given. Returns the number of lines; raises BadBytes at the first byte that does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = newlines = 0
    non_ascii = False
    last = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                bad = consumed - pending + exc.start  # absolute offset of the first bad byte
                inside = max(0, bad - consumed)  # a byte sequence cut by the block end holds no newline
                before = bytes(exc.object[:exc.start])
                raise BadBytes(encoding, bad, newlines + block[:inside].count(b"\n") + 1, exc.reason,
                               non_ascii or not before.isascii()) from None
            if text:
                non_ascii = non_ascii or not text.isascii()
                if sink is not None:
                    sink.write(text.encode("utf-8"))
            if not block:
                break
            consumed += len(block)
            newlines += block.count(b"\n")
            last = block[-1:]
    return newlines + (1 if last not in (b"\n", b"") else 0)


def utf8_evidence(path: Path) -> tuple[int, int]:
    """(non-ASCII characters that are valid UTF-8, broken byte sequences) over the whole file.

    In a UTF-8 export with a damaged or foreign row the first count is far larger; in a GB18030
    file only a few byte pairs form valid UTF-8 by chance (about 1 per 10 broken sequences in
    data/examples/leads_zh.csv).
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    valid = broken = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            text = decoder.decode(block, final=not block)
            if not text.isascii():
                n_bad = text.count("\ufffd")
                broken += n_bad
                valid += sum(1 for ch in text if ord(ch) > 127) - n_bad
            if not block:
                return valid, broken


def _sniff(path: Path) -> str | None:
    """The encoding a BOM or a sample says; None when the sample is not enough to tell."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.count(b"\x00") > max(2, len(sample) // 100):  # UTF-16 without BOM, or a binary file
        return "binary"
    return None


def _guess(path: Path) -> str | None:
    """charset-normalizer's guess on a sample, when it is confident."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
    except Exception:  # pragma: no cover - detector failure is just "no guess"
        return None
    if best is not None and best.encoding and best.chaos < 0.2:
        name = codecs.lookup(best.encoding).name
        return None if name in (*UTF8, "gb18030") else name
    return None


def fd_path(fd: int) -> str:
    """A path naming the open file ``fd`` (``/proc/self/fd/N``, else ``/dev/fd/N``)."""
    return f"/proc/self/fd/{fd}" if os.path.isdir("/proc/self/fd") else f"/dev/fd/{fd}"


def open_source(path: Path) -> tuple[int | None, str]:
    """(fd, path DuckDB should read) for ``path``: the open file's ``/proc/self/fd/N`` where the
    system has it, because DuckDB expands ``*``, ``?`` and ``[...]`` in a path as a glob (a file
    named ``leads*.csv`` would read every matching file); elsewhere the path itself."""
    if not (os.path.isdir("/proc/self/fd") or os.path.isdir("/dev/fd")):  # pragma: no cover - Windows
        return None, str(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    return fd, fd_path(fd)


class DecodedText:
    """A CSV export as UTF-8 text DuckDB can read at ``source`` (an open file descriptor's path);
    close (or ``with``) to free it. ``in_memory``: decoded into an anonymous memory file."""

    def __init__(self, path: Path, encoding: str, source: str, n_lines: int, fd: int | None = None,
                 in_memory: bool = False):
        self.path, self.encoding, self.source, self.n_lines, self._fd = path, encoding, source, n_lines, fd
        self.in_memory = in_memory

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "DecodedText":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _anonymous_file() -> tuple[int, str]:
    """(fd, path DuckDB can open) of a file that has no name on disk."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create(TEMP_PREFIX.rstrip("-"), os.MFD_CLOEXEC)
        return fd, fd_path(fd)
    handle = tempfile.TemporaryFile()  # POSIX: unlinked as soon as it is created
    fd = os.dup(handle.fileno())
    handle.close()
    return fd, fd_path(fd)


def _decode_to_memory(path: Path, encoding: str) -> DecodedText:
    fd, source = _anonymous_file()
    try:
        with open(fd, "wb", closefd=False, buffering=BLOCK) as sink:
            n_lines = scan(path, encoding, sink)
    except BaseException:
        os.close(fd)
        raise
    return DecodedText(path, encoding, source, n_lines, fd, in_memory=True)


def _as_is(path: Path, encoding: str) -> DecodedText:
    """A UTF-8 file checked whole, handed to DuckDB through its open descriptor."""
    n_lines = scan(path, encoding)
    fd, source = open_source(path)
    return DecodedText(path, encoding, source, n_lines, fd)


def _open_in(path: Path, enc: str) -> DecodedText:
    """``path`` in the known encoding ``enc``: UTF-8 handed over as is, anything else decoded in memory."""
    return _as_is(path, enc) if enc in UTF8 else _decode_to_memory(path, enc)


def _refuse(path: Path, bad: BadBytes, advice: str) -> DataError:
    return DataError(bad.message(path, advice), details=[file_detail(path), _("nothing was written")])


def open_text(path: Path, encoding: str | None) -> DecodedText:
    """``path`` checked (and, if not UTF-8, decoded in memory) in ``encoding`` or the detected one.

    DataError naming the line, data row and byte offset of the first byte that does not decode.
    """
    if encoding:
        enc = normalize_encoding(encoding)
        try:
            return _open_in(path, enc)
        except BadBytes as bad:
            raise _refuse(path, bad, _("the file is not in the encoding given (--encoding or the mapping's "
                                       "encoding:); fix that row or give the right encoding")) from None
    enc = _sniff(path)
    if enc == "binary":
        raise DataError(
            _("{file}: cannot tell the file's encoding (it holds many NUL bytes: a binary file, or UTF-16 "
              "without a byte-order mark); it may not be a text export — give it with --encoding", file=path.name),
            details=[file_detail(path)])
    if enc is not None:  # a byte-order mark says it
        try:
            return _open_in(path, enc)
        except BadBytes as bad:
            raise _refuse(path, bad, _("the file starts with a byte-order mark of this encoding but does not "
                                       "decode; fix that row or re-export the file")) from None
    try:
        return _as_is(path, "utf-8")
    except BadBytes as bad:
        valid, broken = utf8_evidence(path)
        if valid >= broken:
            raise _refuse(path, bad, _(
                "the rest of the file is UTF-8 ({valid} valid non-ASCII characters, {broken} broken byte "
                "sequence(s)), so this row is in another encoding or damaged; fix or re-export it (the file "
                "is not re-read in another encoding, which would garble the UTF-8 text)",
                valid=str(valid), broken=str(broken))) from None
        first = bad
    try:
        return _decode_to_memory(path, "gb18030")
    except BadBytes as bad:
        if bad.text_before and bad.line >= 3:  # whole rows of Chinese text decoded: a broken GB18030 file
            raise _refuse(path, bad, _("the text before it is GB18030, so this row is damaged or in another "
                                       "encoding; fix or re-export it")) from None
        other = _guess(path)
        if other is None:
            raise DataError(
                _("{file}: cannot tell the file's encoding (tried utf-8: fails at {utf8_at}; gb18030: fails at "
                  "{gb18030_at}; no confident charset-normalizer guess); it may not be a text export — give the "
                  "encoding with --encoding", file=path.name, utf8_at=first.where(), gb18030_at=bad.where()),
                details=[file_detail(path)]) from None
    try:
        return _decode_to_memory(path, other)
    except BadBytes as bad:
        raise _refuse(path, bad, _("{encoding} was guessed from a sample; give the right encoding with "
                                   "--encoding", encoding=other)) from None


#: The folders earlier versions created: ``tempfile.mkdtemp(prefix="leadlab-ingest-")`` (8 random
#: characters) holding one ``<name>.utf8.csv``. Nothing else is touched (``leadlab-ingest-bench-*``, ...).
_STALE_NAME = re.compile(r"leadlab-ingest-[a-z0-9_]{8}")


def clean_stale_temp() -> list[Path]:
    """Remove the decoded copies an earlier version left in the temp folder after a crash: folders
    of this user named exactly like its temporary folders and holding only ``*.utf8.csv`` files.
    Returns what was removed."""
    removed: list[Path] = []
    base = Path(tempfile.gettempdir())
    try:
        entries = [e for e in base.iterdir() if _STALE_NAME.fullmatch(e.name)]
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        try:
            if entry.is_symlink() or not entry.is_dir() or (uid is not None and entry.lstat().st_uid != uid):
                continue
            files = list(entry.iterdir())
            if not all(f.name.endswith(".utf8.csv") and f.is_file() and not f.is_symlink() for f in files):
                continue
            for f in files:
                f.unlink()
            entry.rmdir()
            removed.append(entry)
        except OSError:
            continue
    return removed
