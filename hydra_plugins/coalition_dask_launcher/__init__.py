"""A Hydra launcher that runs a multirun's jobs on a Dask cluster (``hydra/launcher=dask``)."""
