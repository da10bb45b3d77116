"""A mobile unit as its own node, synced to the centre."""
