"""full-text search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:28:24.903008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The engines' own full-text indexes over search_entries, which the application keeps
# current (app/search/index.py). SQLite: an external-content FTS5 table kept in step by
# triggers. PostgreSQL: a weighted tsvector generated column with a GIN index.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, content='search_entries', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4'
    )""",
    """CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entries_au",
    "DROP TRIGGER IF EXISTS search_entries_ad",
    "DROP TRIGGER IF EXISTS search_entries_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRESQL_UP = [
    """ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) STORED""",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
]

# Index what is already stored. {agg} is each engine's string aggregate.
BACKFILL = [
    """INSERT INTO search_entries (kind, ref_id, key, title, body)
    SELECT 'study', s.id, CAST(s.id AS VARCHAR(20)), s.title,
        COALESCE((SELECT {agg} FROM study_authors a WHERE a.study_id = s.id), '') || ' '
        || COALESCE(s.journal, '') || ' ' || COALESCE(s.doi, '') || ' ' || COALESCE(s.abstract, '')
    FROM studies s""",
    """INSERT INTO search_entries (kind, ref_id, key, title, body)
    SELECT 'treatment', t.id, t.slug, t.name,
        COALESCE((SELECT {alias_agg} FROM treatment_aliases a WHERE a.treatment_id = t.id), '')
        || ' ' || t.slug || ' ' || COALESCE(t.description, '') || ' ' || COALESCE(t.mechanism, '')
    FROM treatments t""",
    """INSERT INTO search_entries (kind, ref_id, key, title, body)
    SELECT 'finding', f.id, CAST(f.id AS VARCHAR(20)), COALESCE(f.outcome, f.kind),
        COALESCE(f.summary, '') || ' ' || f.quote
    FROM findings f""",
    """INSERT INTO search_entries (kind, ref_id, key, title, body)
    SELECT 'side_effect', e.id, e.slug, e.name, COALESCE(e.description, '')
    FROM side_effects e""",
]
AGGREGATES = {
    "sqlite": {
        "agg": "group_concat(a.family || ' ' || COALESCE(a.given, ''), ' ')",
        "alias_agg": "group_concat(a.alias, ' ')",
    },
    "postgresql": {
        "agg": "string_agg(a.family || ' ' || COALESCE(a.given, ''), ' ')",
        "alias_agg": "string_agg(a.alias, ' ')",
    },
}


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_entries_kind")),
        sqlite_autoincrement=True,
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP:
        op.execute(statement)
    for statement in BACKFILL:
        op.execute(statement.format(**AGGREGATES[dialect]))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("search_entries")
