"""Options of the project's launchers (``hydra.launcher.*``); registered when Hydra scans plugins."""

from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra_plugins.hydra_submitit_launcher.config import SlurmQueueConf


@dataclass
class DaskLauncherConf:
    _target_: str = "hydra_plugins.coalition_launchers.dask.DaskLauncher"
    # a running scheduler ("tcp://host:8786"), or its scheduler file (dask-scheduler
    # --scheduler-file); both null: start a local cluster on 127.0.0.1 for this multirun and stop
    # it afterwards
    address: Optional[str] = None
    scheduler_file: Optional[str] = None
    # the local cluster's size (ignored with address/scheduler_file): one process per worker, one
    # job at a time each
    n_workers: int = 2
    memory_limit: str = "auto"


@dataclass
class CoalitionSlurmConf(SlurmQueueConf):
    _target_: str = "hydra_plugins.coalition_launchers.slurm.CoalitionSlurmLauncher"
    # false: submit the job array and return at once (the jobs run on; see docs/cluster.md)
    wait: bool = True
    # where the submitted jobs' ids are recorded (JSON; appended to by each submission)
    record_file: Optional[str] = None


ConfigStore.instance().store(group="hydra/launcher", name="dask", node=DaskLauncherConf,
                             provider="coalition_launchers")
ConfigStore.instance().store(group="hydra/launcher", name="coalition_slurm",
                             node=CoalitionSlurmConf, provider="coalition_launchers")
