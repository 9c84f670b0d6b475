"""Interoperability: FHIR R4 export and import, CSV export. Pure: stdlib and carelog only.

- ``fhir_export.export_bundle(events, recipient)``: a FHIR R4 Bundle (type collection).
- ``fhir_import.preview_import(bundle)``: what a transition-of-care Bundle would become.
- ``csv_export.csv_files(events, recipient)``: one spreadsheet-safe CSV per kind.

See ``docs/INTEROP.md`` for the mappings.
"""
