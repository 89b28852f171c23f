"""CLI command groups: each module here has ``register(subparsers)``; they are found automatically."""
