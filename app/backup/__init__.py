"""Backup and restore: the whole database as one versioned JSON file.

``hair-evidence dump`` writes, and ``hair-evidence restore`` reads back::

    {"format":"hair-evidence-dump","version":1,"schema_revision":"0002",
     "created_at":"2026-12-01T09:30:00.123456+00:00","tables":{
    "api_keys":{"columns":["id","name",...],"count":2,"last_id":3,"rows":[
    [1,"curator",...],
    [3,"importer",...]
    ]},
    ...}}

Every table of the models, in foreign-key order, rows in primary-key order, one row to a
line. ``last_id`` is the highest id the table has ever handed out, so that a restored
database never hands a deleted row's id to a new one. Timestamps are ISO 8601 in UTC;
floats that JSON cannot spell (NaN, infinities) are strings. ``search_entries`` is not
written: it is derived from the resources, and restore rebuilds it with the search
indexing code (the engines' FTS5 and tsvector indexes follow it by themselves).
"""
