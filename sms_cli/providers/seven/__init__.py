"""seven.io (formerly sms77.io): client and emulator."""
