"""The ``dask`` launcher's options (``hydra.launcher.*``); registered when Hydra scans its plugins."""

from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore


@dataclass
class DaskLauncherConf:
    _target_: str = "hydra_plugins.coalition_dask_launcher.dask_launcher.DaskLauncher"
    # a running scheduler ("tcp://host:8786", or a scheduler file's path via scheduler_file);
    # null: start a local cluster on 127.0.0.1 for this multirun and stop it afterwards
    address: Optional[str] = None
    scheduler_file: Optional[str] = None
    # the local cluster's size (ignored with address/scheduler_file): one process per worker,
    # one job at a time each
    n_workers: int = 2
    memory_limit: str = "auto"


ConfigStore.instance().store(group="hydra/launcher", name="dask", node=DaskLauncherConf,
                             provider="coalition_dask_launcher")
