"""``python -m graph_engine``: the command line, as the ``graph-engine`` script."""

from graph_engine.cli.app import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
