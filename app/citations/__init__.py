"""Citations: reading reference files, normalising records, storing them as studies."""
