"""``--cluster`` and ``--scheduler-file`` on grid, montecarlo, sobol and morris (docs/cluster.md)."""

from __future__ import annotations

import contextlib
import sys


def add_cluster_options(p) -> None:
    """``--cluster`` and ``--scheduler-file`` (docs/cluster.md), shared by grid, montecarlo, sobol and morris."""
    p.add_argument("--cluster", default=None, metavar="local[:N]|local-cuda|tcp://HOST:PORT",
                   help="compute the chunks on a Dask cluster: local:N starts N worker processes, local-cuda one "
                        "worker per GPU (dask-cuda), tcp://HOST:PORT joins a running scheduler (needs "
                        "dcecon[cluster]; default: this process)")
    p.add_argument("--scheduler-file", default=None, metavar="FILE",
                   help="join the running Dask scheduler that wrote FILE (dask scheduler --scheduler-file FILE)")


def announce_dashboard(client, chatty: bool) -> None:
    """Print ``dashboard: URL`` to standard error (when ``chatty``, and the cluster has a dashboard)."""
    if client is None or not chatty:
        return
    from dcecon.grid_engine.cluster import dashboard_link

    link = dashboard_link(client)
    if link:
        print(f"dashboard: {link}", file=sys.stderr)


@contextlib.contextmanager
def cluster_client(args, chatty: bool):
    """The Dask client of ``--cluster``/``--scheduler-file`` (None without them: one process), checked first,
    its dashboard link announced when ``chatty``, closed (and a local cluster stopped) on exit."""
    from dcecon.grid_engine.cluster import open_cluster, parse_cluster

    parse_cluster(args.cluster, args.scheduler_file)
    with open_cluster(args.cluster, args.scheduler_file) as client:
        announce_dashboard(client, chatty)
        yield client
