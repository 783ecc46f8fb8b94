"""Storage: the history database and the profile file. Each module owns its SQL or file format."""
