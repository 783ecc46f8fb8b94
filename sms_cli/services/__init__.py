"""Services: what a command does (send, track, receive, run a bulk job), free of argv and output."""
