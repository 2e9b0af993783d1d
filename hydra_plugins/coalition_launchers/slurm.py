"""submitit's SLURM launcher, able to submit and leave (``hydra.launcher.wait=false``).

Hydra's launch is synchronous: ``hydra-submitit-launcher`` submits a job array and waits for every
task's result, so the submitting process must live until the array ends. With ``wait=false`` this
launcher submits the same array (same sbatch options, same pickled jobs, same
``submitit_folder``) and returns at once; each job still runs the chunk and writes its results into
the sweep folder, where ``python -m sim.watch`` and ``python -m sim.collect`` find them. Every
submission's job ids are recorded in ``record_file`` (JSON), so a later command can tell which
chunks are still queued or running.

With ``wait=true`` (the default) it is ``hydra-submitit-launcher``'s ``SlurmLauncher`` unchanged,
apart from recording the job ids.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
from omegaconf import OmegaConf

log = logging.getLogger(__name__)


def _record(path: Optional[str], jobs: list[dict]) -> None:
    if not path:
        return
    from sim.experiments.io import write_json

    p = Path(path)
    old = json.loads(p.read_text()) if p.exists() else {"submissions": []}
    old["submissions"].append({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "jobs": jobs})
    write_json(old, p)


class CoalitionSlurmLauncher(SlurmLauncher):
    def __init__(self, wait: bool = True, record_file: Optional[str] = None, **params: Any):
        super().__init__(**params)
        self.wait, self.record_file = bool(wait), record_file

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        # as hydra_submitit_launcher.BaseSubmititLauncher.launch (1.2.0), then optionally no wait
        import submitit

        assert self.config is not None and len(job_overrides) > 0
        params = self.params
        init_keys = {"max_num_timeout", "submitit_folder"}
        init_params = {"folder": params["submitit_folder"]}
        init_params.update({f"{self._EXECUTOR}_{x}": y for x, y in params.items()
                            if x == "max_num_timeout"})
        executor = submitit.AutoExecutor(cluster=self._EXECUTOR, **init_params)
        baseparams = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{x if x in baseparams else f"{self._EXECUTOR}_{x}": y
                                      for x, y in params.items() if x not in init_keys})
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        job_params: List[Any] = []
        for idx, overrides in enumerate(job_overrides):
            idx = initial_job_idx + idx
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            job_params.append((list(overrides), "hydra.sweep.dir", idx, f"job_id_for_{idx}",
                               Singleton.get_state()))
        jobs = executor.map_array(self, *zip(*job_params))
        _record(self.record_file, [{"job_id": j.job_id, "overrides": list(o)}
                                   for j, o in zip(jobs, job_overrides)])
        if self.wait:
            return [j.results()[0] for j in jobs]
        out = []
        for j, o in zip(jobs, job_overrides):
            r = JobReturn(overrides=list(o), status=JobStatus.COMPLETED)
            r.return_value = {"submitted": j.job_id}
            out.append(r)
        return out
