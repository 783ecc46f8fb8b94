"""Provider packages that exist only for tests, installed through real entry points."""
