"""evidence schema, keys, history and imports

Revision ID: 0001
Revises:
Create Date: 2026-11-28 07:10:30.607411
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("scope IN ('write', 'admin')", name=op.f("ck_api_keys_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
        sa.UniqueConstraint("slug", name=op.f("uq_conditions_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "side_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_effects")),
        sa.UniqueConstraint("slug", name=op.f("uq_side_effects_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mechanism", sa.Text(), nullable=True),
        sa.Column("setting", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('procedure', 'topical_drug', 'oral_drug', 'injection', 'device', 'supplement', 'combination')",
            name=op.f("ck_treatments_kind"),
        ),
        sa.CheckConstraint(
            "setting IN ('clinic', 'at_home', 'clinic_or_home')", name=op.f("ck_treatments_setting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sa.UniqueConstraint("slug", name=op.f("uq_treatments_slug")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatments_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_treatments_setting"), ["setting"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("resource_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'delete')", name=op.f("ck_audit_entries_action")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.id"],
            name=op.f("fk_audit_entries_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_key_id"), ["key_id"], unique=False)
        batch_op.create_index(
            "ix_audit_entries_resource_resource_id", ["resource", "resource_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_entries_resource_resource_key", ["resource", "resource_key"], unique=False
        )

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("on_error", sa.String(length=16), nullable=False),
        sa.Column("resolve", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'rejected', 'failed')",
            name=op.f("ck_import_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.id"],
            name=op.f("fk_import_jobs_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint("key_id", "idempotency_key", name=op.f("uq_import_jobs_key_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_jobs_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_jobs_status"), ["status"], unique=False)

    op.create_table(
        "treatment_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatments.id"],
            name=op.f("fk_treatment_aliases_treatment_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_aliases")),
        sa.UniqueConstraint("alias", name=op.f("uq_treatment_aliases_alias")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("treatment_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_aliases_treatment_id"), ["treatment_id"], unique=False
        )

    op.create_table(
        "treatment_components",
        sa.Column("combination_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["combination_id"],
            ["treatments.id"],
            name=op.f("fk_treatment_components_combination_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["treatments.id"],
            name=op.f("fk_treatment_components_component_id_treatments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "combination_id", "component_id", name=op.f("pk_treatment_components")
        ),
    )
    with op.batch_alter_table("treatment_components", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_components_component_id", ["component_id"], unique=False
        )

    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doi", sa.String(length=300), nullable=True),
        sa.Column("doi_key", sa.String(length=300), nullable=True),
        sa.Column("pmid", sa.String(length=20), nullable=True),
        sa.Column("pmcid", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("journal", sa.String(length=300), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("volume", sa.String(length=40), nullable=True),
        sa.Column("issue", sa.String(length=40), nullable=True),
        sa.Column("pages", sa.String(length=40), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("design", sa.String(length=32), nullable=True),
        sa.Column("pilot", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("species", sa.String(length=60), nullable=True),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("duration_weeks", sa.Double(), nullable=True),
        sa.Column("blinding", sa.String(length=32), nullable=True),
        sa.Column("evidence_level", sa.Integer(), nullable=True),
        sa.Column("retracted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "blinding IN ('open_label', 'assessor_blind', 'single_blind', 'double_blind')",
            name=op.f("ck_studies_blinding"),
        ),
        sa.CheckConstraint(
            "design IN ('systematic_review', 'meta_analysis', 'randomized_trial', 'non_randomized_trial', 'cohort', 'case_control', 'cross_sectional', 'case_series', 'case_report', 'animal_study', 'in_vitro', 'experimental', 'narrative_review', 'expert_opinion')",
            name=op.f("ck_studies_design"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_jobs.id"],
            name=op.f("fk_studies_import_id_import_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
        sa.UniqueConstraint("doi_key", name=op.f("uq_studies_doi_key")),
        sa.UniqueConstraint("pmcid", name=op.f("uq_studies_pmcid")),
        sa.UniqueConstraint("pmid", name=op.f("uq_studies_pmid")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studies_design"), ["design"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_studies_evidence_level"), ["evidence_level"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_studies_import_id"), ["import_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_species"), ["species"], unique=False)
        batch_op.create_index("ix_studies_title_key_year", ["title_key", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_year"), ["year"], unique=False)

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('study', 'article')", name=op.f("ck_sources_kind")),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_sources_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
        sa.UniqueConstraint("study_id", name=op.f("uq_sources_study_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_kind"), ["kind"], unique=False)

    op.create_table(
        "study_authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("given", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_study_authors_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_authors")),
        sa.UniqueConstraint("study_id", "position", name=op.f("uq_study_authors_study_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "cautions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("other_treatment_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('avoid', 'caution', 'monitor')", name=op.f("ck_cautions_level")
        ),
        sa.ForeignKeyConstraint(
            ["other_treatment_id"],
            ["treatments.id"],
            name=op.f("fk_cautions_other_treatment_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_cautions_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatments.id"],
            name=op.f("fk_cautions_treatment_id_treatments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cautions")),
        sa.UniqueConstraint(
            "treatment_id", "other_treatment_id", "source_id", name=op.f("uq_cautions_treatment_id")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("cautions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cautions_other_treatment_id"), ["other_treatment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cautions_source_id"), ["source_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("comparator_type", sa.String(length=16), nullable=True),
        sa.Column("comparator_id", sa.Integer(), nullable=True),
        sa.Column("condition_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("certainty", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("effect_measure", sa.String(length=8), nullable=True),
        sa.Column("effect_value", sa.Float(), nullable=True),
        sa.Column("ci_lower", sa.Float(), nullable=True),
        sa.Column("ci_upper", sa.Float(), nullable=True),
        sa.Column("standard_error", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("n_intervention", sa.Integer(), nullable=True),
        sa.Column("n_comparator", sa.Integer(), nullable=True),
        sa.Column("events_intervention", sa.Integer(), nullable=True),
        sa.Column("events_comparator", sa.Integer(), nullable=True),
        sa.Column("mean_intervention", sa.Float(), nullable=True),
        sa.Column("sd_intervention", sa.Float(), nullable=True),
        sa.Column("mean_comparator", sa.Float(), nullable=True),
        sa.Column("sd_comparator", sa.Float(), nullable=True),
        sa.Column("time_point", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "certainty IN ('high', 'moderate', 'low', 'very_low')",
            name=op.f("ck_findings_certainty"),
        ),
        sa.CheckConstraint(
            "comparator_type IN ('treatment', 'placebo', 'none')",
            name=op.f("ck_findings_comparator_type"),
        ),
        sa.CheckConstraint(
            "direction IN ('benefit', 'harm', 'no_difference', 'unclear')",
            name=op.f("ck_findings_direction"),
        ),
        sa.CheckConstraint(
            "effect_measure IN ('MD', 'SMD', 'RR', 'OR', 'RD')",
            name=op.f("ck_findings_effect_measure"),
        ),
        sa.CheckConstraint(
            "kind IN ('efficacy', 'mechanism', 'safety', 'practice')", name=op.f("ck_findings_kind")
        ),
        sa.ForeignKeyConstraint(
            ["comparator_id"],
            ["treatments.id"],
            name=op.f("fk_findings_comparator_id_treatments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_findings_condition_id_conditions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["treatments.id"],
            name=op.f("fk_findings_intervention_id_treatments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_findings_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_findings_study_id_studies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_certainty"), ["certainty"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_comparator_id"), ["comparator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_findings_comparator_type"), ["comparator_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_findings_condition_id"), ["condition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_findings_direction"), ["direction"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_intervention_id"), ["intervention_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_findings_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_study_id"), ["study_id"], unique=False)

    op.create_table(
        "side_effect_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("side_effect_id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=100), nullable=True),
        sa.Column("incidence", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe')",
            name=op.f("ck_side_effect_reports_severity"),
        ),
        sa.ForeignKeyConstraint(
            ["side_effect_id"],
            ["side_effects.id"],
            name=op.f("fk_side_effect_reports_side_effect_id_side_effects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_side_effect_reports_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_side_effect_reports_study_id_studies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatments.id"],
            name=op.f("fk_side_effect_reports_treatment_id_treatments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_effect_reports")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("side_effect_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_side_effect_reports_side_effect_id"), ["side_effect_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_side_effect_reports_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_side_effect_reports_study_id"), ["study_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_side_effect_reports_treatment_id"), ["treatment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("side_effect_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_side_effect_reports_treatment_id"))
        batch_op.drop_index(batch_op.f("ix_side_effect_reports_study_id"))
        batch_op.drop_index(batch_op.f("ix_side_effect_reports_source_id"))
        batch_op.drop_index(batch_op.f("ix_side_effect_reports_side_effect_id"))

    op.drop_table("side_effect_reports")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_study_id"))
        batch_op.drop_index(batch_op.f("ix_findings_source_id"))
        batch_op.drop_index(batch_op.f("ix_findings_outcome"))
        batch_op.drop_index(batch_op.f("ix_findings_kind"))
        batch_op.drop_index(batch_op.f("ix_findings_intervention_id"))
        batch_op.drop_index(batch_op.f("ix_findings_direction"))
        batch_op.drop_index(batch_op.f("ix_findings_condition_id"))
        batch_op.drop_index(batch_op.f("ix_findings_comparator_type"))
        batch_op.drop_index(batch_op.f("ix_findings_comparator_id"))
        batch_op.drop_index(batch_op.f("ix_findings_certainty"))

    op.drop_table("findings")
    with op.batch_alter_table("cautions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cautions_source_id"))
        batch_op.drop_index(batch_op.f("ix_cautions_other_treatment_id"))

    op.drop_table("cautions")
    op.drop_table("study_authors")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_kind"))

    op.drop_table("sources")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studies_year"))
        batch_op.drop_index("ix_studies_title_key_year")
        batch_op.drop_index(batch_op.f("ix_studies_species"))
        batch_op.drop_index(batch_op.f("ix_studies_import_id"))
        batch_op.drop_index(batch_op.f("ix_studies_evidence_level"))
        batch_op.drop_index(batch_op.f("ix_studies_design"))

    op.drop_table("studies")
    with op.batch_alter_table("treatment_components", schema=None) as batch_op:
        batch_op.drop_index("ix_treatment_components_component_id")

    op.drop_table("treatment_components")
    with op.batch_alter_table("treatment_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_aliases_treatment_id"))

    op.drop_table("treatment_aliases")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_import_jobs_key_id"))

    op.drop_table("import_jobs")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_resource_resource_key")
        batch_op.drop_index("ix_audit_entries_resource_resource_id")
        batch_op.drop_index(batch_op.f("ix_audit_entries_key_id"))

    op.drop_table("audit_entries")
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatments_setting"))
        batch_op.drop_index(batch_op.f("ix_treatments_kind"))

    op.drop_table("treatments")
    op.drop_table("side_effects")
    op.drop_table("conditions")
    op.drop_table("api_keys")
