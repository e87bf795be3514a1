"""fastgen: generate layered FastAPI backends."""

__version__ = "0.1.0"
