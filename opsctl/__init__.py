"""opsctl: operations and cost governance for an AWS account shaped like the reference architecture."""

__version__ = "0.1.0"
