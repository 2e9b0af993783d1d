"""The project's Hydra launchers: ``dask`` (jobs as Dask tasks; in place of Ray's launcher) and
``coalition_slurm`` (submitit's SLURM launcher that can also submit and return without waiting)."""
