"""Connectel SMS Gateway API v2: client and emulator."""
