"""relsim's design sweeper for Hydra: runs the rows of a SALib design through Hydra's launchers."""
