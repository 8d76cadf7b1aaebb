"""`graph-engine versions`, `verify` and `restore`: a store's history and its integrity."""

from __future__ import annotations

from typing import Annotated

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import FormatOpt, StoreArg
from graph_engine.cli._render import render
from graph_engine.errors import StoreError

__all__ = ["register", "restore_version", "verify_store", "versions"]

VersionArg = Annotated[str, typer.Argument(help="A version name such as v000002.")]
WaitOpt = Annotated[
    float, typer.Option(help="Seconds to wait for another writer of the store to finish.")
]


def versions(store: StoreArg, format: FormatOpt = "table") -> None:
    """List a store's versions: when and how each was made, what it holds, which is live."""
    from graph_engine.store import describe_versions

    render(describe_versions(store), format, title=f"versions of {store}")


def verify_store(
    store: StoreArg,
    version: Annotated[str | None, typer.Option(help="Only this version.")] = None,
    format: FormatOpt = "table",
) -> None:
    """Check every table of every version against its manifest: size, rows and checksum."""
    from graph_engine.store import verify

    checked = verify(store, version)
    render(checked, format, title=f"verify {store}")
    bad = checked.filter(checked["status"] != "ok")
    if bad.height:
        raise StoreError(
            f"store `{store}`: {bad.height} damaged file(s) in "
            f"{', '.join(bad['version'].fill_null('(store)').unique(maintain_order=True))}; hint: "
            f"`graph-engine restore {store} VERSION` with a version that verifies"
        )


def restore_version(
    store: StoreArg,
    version: VersionArg,
    wait: WaitOpt = default_of("graph_engine.store._history:restore", "wait"),
    format: FormatOpt = "table",
) -> None:
    """Make an older version live again (its checksums are checked first)."""
    from graph_engine.store import restore

    before = restore(store, version, wait=wait)
    render({"store": str(store), "live": version, "was": before}, format, title="restored")


def register(app: typer.Typer) -> None:
    """Add the commands to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(versions)
    app.command("verify")(verify_store)
    app.command("restore")(restore_version)
