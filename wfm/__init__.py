"""wfm: workforce management for contact centers.

Stages, each a module taking and returning tidy DataFrames:
history -> forecast -> staffing (requirements) -> scheduling (shifts) -> roster -> costs -> report.
"""

__version__ = "0.1.0"
