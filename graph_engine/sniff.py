"""What an input file is, before a reader parses it: readable, gzip, UTF-8 text, delimiter.

Each check fails early with an `InputError` that names the file and says what to do,
so that readers (`graph_engine.readers`) see only files they can parse.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from graph_engine.errors import InputError, ParameterError

__all__ = [
    "check_gzip",
    "check_separator",
    "check_text",
    "first_line",
    "head_bytes",
    "is_gzip",
    "open_content",
    "readable_file",
    "sniff_separator",
]

# What a shell passes for '\t' (backslash, t), and a spelled-out name: both mean a tab.
_SEPARATOR_NAMES = {"\\t": "\t", "tab": "\t"}
_HEAD_BYTES = 1 << 16  # how much of a file the checks look at


def check_separator(separator: str | None) -> str | None:
    r"""Check a CSV delimiter: one ASCII character; ``\t`` (backslash, t) or ``tab`` is a tab.

    Parameters
    ----------
    separator
        The delimiter as given (None or ``""``: sniff it from the header).

    Returns
    -------
    str or None
        The one-character delimiter, or None to sniff it.

    Raises
    ------
    ParameterError
        When it is longer than one character or cannot be a delimiter.

    Examples
    --------
    >>> check_separator("\\t") == "\t", check_separator("tab") == "\t", check_separator(";")
    (True, True, ';')
    """
    if not separator:
        return None
    sep = _SEPARATOR_NAMES.get(separator.lower(), separator)
    if len(sep) != 1 or not sep.isascii() or sep in '\n\r"':
        raise ParameterError(
            f"`--separator` must be one ASCII character other than a quote or a newline, got "
            f"{separator!r}; hint: --separator ';' or --separator '\\t' (or tab) for a tab"
        )
    return sep


def readable_file(path: str | os.PathLike[str], what: str) -> Path:
    """Return the path of a file this process can read, else raise an `InputError`."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} `{p}` is a directory, not a file; hint: name the file in it")
    if not p.is_file():
        raise InputError(f"{what} `{p}` not found; hint: check the path")
    try:
        with p.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"cannot read {what} `{p}`: {reason}; hint: check the file's permissions"
        ) from exc
    return p


def is_gzip(p: Path) -> bool:
    """Whether a file starts with the gzip magic bytes."""
    with p.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_content(p: Path) -> Any:
    """Open a file's content as bytes (decompressed when it is gzip)."""
    return gzip.open(p, "rb") if is_gzip(p) else p.open("rb")


def check_gzip(p: Path) -> None:
    """Read a gzip file to its end once, so that a truncated one fails here, by name."""
    if p.suffix.lower() == ".gz" or is_gzip(p):
        try:
            with gzip.open(p, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        except (OSError, EOFError) as exc:
            raise InputError(
                f"`{p}` is not a readable gzip file ({exc}); hint: the file may be truncated "
                "or not compressed at all (drop the .gz suffix)"
            ) from exc


def head_bytes(p: Path) -> bytes:
    """Return the first bytes of a file's content."""
    with open_content(p) as fh:
        head: bytes = fh.read(_HEAD_BYTES)
    return head


def check_text(p: Path, fmt: str) -> None:
    """Fail early, with a hint, on a text format whose bytes are not UTF-8 text."""
    head = head_bytes(p)
    if not head.lstrip(b"\xef\xbb\xbf").strip():
        raise InputError(
            f"`{p}` is empty: no header, no rows ({p.stat().st_size} bytes on disk); hint: "
            "check that the export finished"
        )
    if head.startswith(b"PAR1"):
        raise InputError(
            f"`{p}` is a Parquet file, not {fmt}; hint: name it .parquet or pass --format parquet"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"`{p}` is UTF-16 text; hint: save it as UTF-8")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or len(head) < _HEAD_BYTES:  # not a cut-off character
            line = head.count(b"\n", 0, exc.start) + 1
            raise InputError(
                f"`{p}` is not UTF-8 {fmt} text: line {line} (byte {exc.start}) holds "
                f"{head[exc.start : exc.start + 1]!r}; hint: convert it to UTF-8 (iconv -f "
                "latin1 -t utf-8), or pass --format if it is binary (Parquet)"
            ) from None
    if head.count(0) * 10 > len(head):
        raise InputError(
            f"`{p}` is binary, not {fmt} text ({head.count(0)} NUL bytes in the first "
            f"{len(head)}); hint: pass --format to say which format it is"
        )
    if b"\r" in head and b"\n" not in head and head.rstrip(b"\r").count(b"\r"):
        raise InputError(
            f"`{p}` ends its lines with CR only (old Mac style); hint: convert it to LF or "
            "CRLF line ends"
        )


def first_line(exc: BaseException) -> str:
    """Return the first line of an exception's message (for one-line errors)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def sniff_separator(p: Path) -> str:
    """Guess a CSV delimiter: tab for .tsv, else the most frequent of tab , ; | in the header."""
    if p.name.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    header = head_bytes(p).decode("utf-8", errors="replace").split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","
