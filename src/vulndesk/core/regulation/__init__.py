"""EU CRA and NIS2 reporting: the clocks (``clocks``), the report documents and their exports.

- ``clocks``: when each report is due.
- ``reports``: what a report says (frozen dataclasses), what it still lacks, and its JSON.
- ``pdf``: a report as a PDF for submission, in English or Japanese.
- ``archive``: a product's evidence for auditors as one deterministic zip.

Nothing is re-exported here: importing ``clocks`` should not load fpdf2.
"""
