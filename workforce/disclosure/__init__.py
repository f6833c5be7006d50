"""The disclosure gate: primary and secondary suppression, the attacker audit, rounding.

Every number that leaves the system (report, dashboard, open data, API) passes through here.
"""
