"""Seeders of the sandbox account, one module per tier, run in opsctl.sandbox.SEED_ORDER."""
