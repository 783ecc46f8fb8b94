"""Local emulators of the provider APIs: for the tests, and for users to try smsctl for free."""
