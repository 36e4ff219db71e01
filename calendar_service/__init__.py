"""Event-sourced diplomatic calendar service. Importing the package opens nothing."""

__version__ = "0.1.0"
