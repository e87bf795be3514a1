"""fastgen: generate layered FastAPI backends."""

__version__ = "0.2.0.dev0"
# The name on the package index (`fastgen` there is another project); the command
# stays `fastgen`.
DISTRIBUTION = "fastgen-backend"
