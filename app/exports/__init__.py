"""Export formats: studies as reference files (CSV, RIS, BibTeX, CSL-JSON) and evidence as FHIR.

``app.exports.citations`` streams studies as reference files, one chunk per record;
``app.exports.fhir`` turns studies and findings into FHIR R5 ``Citation``, ``Evidence`` and
``Bundle`` resources.
"""
