"""The benchmark report: indicators, goals, charts, HTML/PDF assembly, the open data package."""
