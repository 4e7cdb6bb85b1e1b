"""One package per AWS service, each the same shape: an operation table (``operations``), use
cases taking typed commands, and the repository protocols it owns. ``context`` holds what every
service's handlers receive from the front door."""
