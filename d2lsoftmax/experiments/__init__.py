"""Experiments on top of the training loop: seeds, search, checkpoints, evaluation, schedules, optimizers, the cluster, verify."""
