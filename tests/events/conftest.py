"""Places inside the test org's grids (see tests/conftest.py)."""

IN_GRID_A = {"lng": 120.01, "lat": 30.01}
IN_GRID_B = {"lng": 120.11, "lat": 30.01}
