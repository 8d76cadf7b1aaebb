"""The same answers on Apache Spark: the store's Parquet read by Spark, the work spread.

Needs the ``spark`` extra (``pip install -e .[spark]``: PySpark 4 and a Java 17+
runtime). Nothing here is imported by the embedded engine.
"""

from __future__ import annotations

from graph_engine.spark._audience import spark_audience
from graph_engine.spark._communities import spark_communities
from graph_engine.spark._overlap import SPLIT_FOLLOWING, spark_overlap
from graph_engine.spark._select import EMBEDDED_ONLY, spark_select
from graph_engine.spark._session import spark_session

__all__ = [
    "EMBEDDED_ONLY",
    "SPLIT_FOLLOWING",
    "spark_audience",
    "spark_communities",
    "spark_overlap",
    "spark_select",
    "spark_session",
]
