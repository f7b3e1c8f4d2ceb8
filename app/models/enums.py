"""Controlled vocabularies shared by models, schemas and filters."""

from enum import StrEnum


class TreatmentKind(StrEnum):
    procedure = "procedure"
    topical_drug = "topical_drug"
    oral_drug = "oral_drug"
    injection = "injection"
    device = "device"
    supplement = "supplement"
    combination = "combination"


class TreatmentSetting(StrEnum):
    clinic = "clinic"
    at_home = "at_home"
    clinic_or_home = "clinic_or_home"


class StudyDesign(StrEnum):
    systematic_review = "systematic_review"
    meta_analysis = "meta_analysis"
    randomized_trial = "randomized_trial"
    non_randomized_trial = "non_randomized_trial"
    cohort = "cohort"
    case_control = "case_control"
    cross_sectional = "cross_sectional"
    case_series = "case_series"
    case_report = "case_report"
    animal_study = "animal_study"
    in_vitro = "in_vitro"
    experimental = "experimental"
    narrative_review = "narrative_review"
    expert_opinion = "expert_opinion"


class Blinding(StrEnum):
    open_label = "open_label"
    assessor_blind = "assessor_blind"
    single_blind = "single_blind"
    double_blind = "double_blind"


class SourceKind(StrEnum):
    study = "study"
    article = "article"


class FindingKind(StrEnum):
    efficacy = "efficacy"
    mechanism = "mechanism"
    safety = "safety"
    practice = "practice"


class ComparatorType(StrEnum):
    treatment = "treatment"
    placebo = "placebo"
    none = "none"


class Direction(StrEnum):
    benefit = "benefit"
    harm = "harm"
    no_difference = "no_difference"
    unclear = "unclear"


class Certainty(StrEnum):
    """GRADE certainty of evidence."""

    high = "high"
    moderate = "moderate"
    low = "low"
    very_low = "very_low"


class EffectMeasure(StrEnum):
    mean_difference = "MD"
    standardised_mean_difference = "SMD"
    risk_ratio = "RR"
    odds_ratio = "OR"
    risk_difference = "RD"


class Severity(StrEnum):
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


class CautionLevel(StrEnum):
    avoid = "avoid"
    caution = "caution"
    monitor = "monitor"


# Oxford CEBM-style levels: 1 is the strongest. Derived from design when not curated.
EVIDENCE_LEVEL_BY_DESIGN: dict[StudyDesign, int] = {
    StudyDesign.systematic_review: 1,
    StudyDesign.meta_analysis: 1,
    StudyDesign.randomized_trial: 2,
    StudyDesign.non_randomized_trial: 3,
    StudyDesign.cohort: 3,
    StudyDesign.case_control: 4,
    StudyDesign.cross_sectional: 4,
    StudyDesign.case_series: 4,
    StudyDesign.case_report: 4,
    StudyDesign.animal_study: 5,
    StudyDesign.in_vitro: 5,
    StudyDesign.experimental: 5,
    StudyDesign.narrative_review: 5,
    StudyDesign.expert_opinion: 5,
}


class KeyScope(StrEnum):
    write = "write"
    admin = "admin"


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    rejected = "rejected"
    failed = "failed"


class OnError(StrEnum):
    reject = "reject"
    skip = "skip"
