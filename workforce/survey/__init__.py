"""Survey instruments: XLSForm import, the expression language, page flow, standard records.

Pure core: no Django. The platform (`workforce.platform.surveys`) stores instruments, waves
and responses and calls these functions for every page a respondent submits.
"""
