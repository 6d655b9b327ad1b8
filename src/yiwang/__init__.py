"""Yiwang (一网通办): a county's Internet + government services platform."""

__version__ = "0.1.0"
