"""Route kinds of this part (see tests/safety/routes.py)."""
