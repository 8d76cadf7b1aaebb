"""`python -m benchmarks.worker CASE CONTENDER`: measure one contender, print one JSON line."""

from __future__ import annotations

import sys

from benchmarks import process, quality, spark  # noqa: F401  (register their cases)
from benchmarks.cases import CASES
from benchmarks.framework import dumps, measure


def main() -> None:
    case, contender = sys.argv[1], sys.argv[2]
    print(dumps(measure(CASES[case].contender(contender))))


if __name__ == "__main__":
    main()
