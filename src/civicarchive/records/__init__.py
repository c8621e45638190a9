"""Records management: retention eligibility, legal holds and certified disposition.

Pure engines over plain facts (`model.py`); the archive gathers the facts and records
every decision in the ledger.
"""
