"""The version of kg (the code); the release's own version is in dataset.yaml."""

__all__ = ["__version__"]

__version__ = "0.1.0"
