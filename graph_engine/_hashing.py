"""Content hashes of files (sources in the manifest, and every table a store writes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(p: Path) -> str:
    """Hash a file's bytes.

    Parameters
    ----------
    p
        The file.

    Returns
    -------
    str
        The hex sha256 digest.
    """
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
