"""The model's rules: pure functions over broadcastable numpy values (no Mesa, no Hydra, no I/O)."""
