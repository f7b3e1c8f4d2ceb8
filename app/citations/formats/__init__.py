"""One module per reference format, each turning a file into ``RawCitation`` records."""
