"""A Hydra launcher on Dask (``dask.distributed``): each job of a multirun is one Dask task.

Replaces ``hydra-ray-launcher``, which does not install with Python 3.13 and cloudpickle 3. Works
like Hydra's joblib launcher (each job composes its own config and runs through
``hydra.core.utils.run_job`` in a worker process) but on any Dask cluster: a local one started on
127.0.0.1 for the multirun (default), or a running scheduler (``hydra.launcher.address=tcp://...``
or ``hydra.launcher.scheduler_file=...``, e.g. one started by ``dask-scheduler`` and
``dask-worker`` on a cluster's nodes, or by ``dask_jobqueue``).

Workers must import the same code (the project installed in the same environment) and see the
same file system as the submitting process; results do not depend on which worker runs which job.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)


def execute_job(idx: int, overrides: Sequence[str], hydra_context: HydraContext,
                config: DictConfig, task_function: TaskFunction,
                singleton_state: dict[Any, Any]) -> JobReturn:
    """One job, in a Dask worker: compose its config and run it as Hydra's launchers do."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


class DaskLauncher(Launcher):
    def __init__(self, address: Optional[str] = None, scheduler_file: Optional[str] = None,
                 n_workers: int = 2, memory_limit: str = "auto") -> None:
        self.address, self.scheduler_file = address, scheduler_file
        self.n_workers, self.memory_limit = int(n_workers), memory_limit
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.task_function, self.hydra_context = config, task_function, hydra_context

    def _client(self):
        from distributed import Client, LocalCluster

        if self.address or self.scheduler_file:
            return Client(address=self.address, scheduler_file=self.scheduler_file), None
        cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               memory_limit=self.memory_limit)
        return Client(cluster), cluster

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        assert self.config is not None and self.task_function is not None
        assert self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        client, cluster = self._client()
        try:
            log.info(f"Dask ({client.scheduler.address}) is launching {len(job_overrides)} jobs")
            for idx, overrides in enumerate(job_overrides):
                log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            state = Singleton.get_state()
            futures = [client.submit(execute_job, initial_job_idx + idx, list(overrides),
                                     self.hydra_context, self.config, self.task_function, state,
                                     pure=False)
                       for idx, overrides in enumerate(job_overrides)]
            runs = client.gather(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        assert all(isinstance(r, JobReturn) for r in runs)
        return runs
