"""The import report as the command line prints it, whether it imported directly or via the API."""

from app.imports.schemas import ImportRead, RecordReport, RecordStatus

_QUIET = (RecordStatus.created, RecordStatus.unchanged)


def _line(record: RecordReport) -> str:
    where = f"#{record.index}" + (f" line {record.line}" if record.line else "")
    if record.status is RecordStatus.rejected:
        return f"  {where}: rejected: {record.field or 'record'}: {record.reason}"
    text = f"  {where}: {record.status.value} study {record.study_id}"
    if record.updated_fields:
        text += f" (filled {', '.join(record.updated_fields)})"
    if record.reason:
        text += f": {record.reason}"
    for conflict in record.conflicts:
        text += f"\n      kept {conflict.field}={conflict.stored!r}, file has {conflict.incoming!r}"
    for warning in record.warnings:
        text += f"\n      warning {warning.code}: {warning.message}"
    return text


def render(job: ImportRead, *, verbose: bool = False) -> str:
    head = f"import {job.id}: {job.status.value} ({job.format.value}"
    head += ", dry run)" if job.dry_run else ")"
    if job.error:
        head += f": {job.error}"
    if job.report is None:
        return head
    counts = job.report.counts
    lines = [
        head,
        f"  created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"duplicate {counts.duplicate}, rejected {counts.rejected}",
    ]
    lines += [
        _line(record)
        for record in job.report.records
        if verbose or record.status not in _QUIET or record.warnings
    ]
    lines += [f"  resolved {line}" for line in job.report.resolved]
    return "\n".join(lines)
