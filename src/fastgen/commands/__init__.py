"""The commands that grow an existing project, one module each."""
