"""Golden reports: today's grade reports, recorded, so that a rewrite of the check engine can
be held to 'every report identical', commit by commit (record.py, tests/test_golden_reports.py).
"""
