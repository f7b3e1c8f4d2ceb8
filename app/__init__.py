"""Hair-loss evidence API: treatments, studies, findings and side effects as linked resources."""
