"""Fruit Classification System backend: API, classify service and TFLite runtime."""

__version__ = "0.1.0"
