"""Trainer plumbing: runtime (device, DDP, seeding, autocast), TrainState checkpoints, cache batches, loop."""
