"""Developer tooling: emulators, the run command, the front-end build, management commands."""
