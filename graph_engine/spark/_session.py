"""Starting a Spark session for the engine (a master URL and config passthrough)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import Any

from graph_engine.errors import ParameterError

__all__ = ["DEFAULT_MASTER", "spark_session"]

DEFAULT_MASTER = "local[*]"
# Spark's defaults are tuned for clusters; these keep a laptop session quiet and lean.
_DEFAULT_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.showConsoleProgress": "false",
    # the driver collects a selection's groups (millions at 30M edges): Spark's 1g is short
    "spark.driver.memory": "4g",
}


def spark_session(master: str = DEFAULT_MASTER, config: Mapping[str, str] | None = None) -> Any:
    """Get (or create) a Spark session.

    Parameters
    ----------
    master
        Spark master URL: ``local[*]`` (every core of this machine), ``local[2]``,
        ``spark://host:7077``, ``yarn``, ...
    config
        Spark settings (``spark.executor.memory`` = ``8g``, ...); they win over the
        engine's quiet defaults.

    Returns
    -------
    pyspark.sql.SparkSession
        The session.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ParameterError(
            "the Spark engine needs PySpark; hint: pip install 'graph-engine[spark]' "
            "(and a Java 17+ runtime)"
        ) from exc
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise ParameterError(
            "the Spark engine needs a Java 17+ runtime, and there is no `java` on PATH nor "
            "a JAVA_HOME; hint: apt-get install openjdk-17-jre-headless"
        )
    # Spark's Python workers run this interpreter (the one that has graph-engine)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("graph-engine")
    for key, value in {**_DEFAULT_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
