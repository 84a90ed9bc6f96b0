"""relsim's Hydra configs, shipped as package data (configs/config.yaml is the root)."""
