"""scalectl: capacity planning and load testing for web backends, on Locust."""

__version__ = "0.1.0"
