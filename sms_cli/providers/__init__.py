"""Providers: this package's __init__ is light, the clients (and httpx) live in submodules."""
