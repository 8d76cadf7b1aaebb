"""The graph-engine command line: a thin typer layer over the `graph_engine` library."""

__all__: list[str] = []
