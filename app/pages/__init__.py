"""Server-rendered HTML pages over the same services the JSON API calls."""
