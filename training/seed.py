"""The one seed of every random choice in training (view plans, sampling, initialisation): a rerun gives the same model."""

SEED = 20261128
