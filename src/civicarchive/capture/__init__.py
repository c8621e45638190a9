"""Live capture: capturers run on a schedule, the SSRF guard on every fetch a user can
steer (guard.py), and browser capture into WACZ for pages no API reaches (browser.py)."""
