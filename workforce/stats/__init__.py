"""Estimates: raking to the member frame, design-based variance, intervals, indices.

Pure functions over pandas/Arrow tables, checked against R's ``survey`` package.
"""
