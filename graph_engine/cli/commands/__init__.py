"""One module per command; each parses options, makes one library call and renders."""

__all__: list[str] = []
