"""One module per section of the period report, each turning the report's model into its view model.

Sections receive figures already made public (``reports.disclosure``), so none of them can show a
hidden value; each returns the template's variables for its part of the page, or None when the report
has nothing for it.
"""
