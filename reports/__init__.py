"""Everything a run leaves for people and CI to read."""
