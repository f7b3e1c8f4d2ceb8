"""Studies and findings as FHIR R5 resources, built and validated by ``fhir.resources`` 8.

- A study is a ``Citation``: its title, and a ``citedArtifact`` with the DOI, PMID and PMCID as
  identifiers, the title and abstract, one ``publicationForm`` (journal, volume, issue, year,
  pages), the URL as ``webLocation``, design and evidence level as classifications,
  data-quality warnings as notes, and the authors as ``contributorship`` entries in printed
  order. R5 makes each contributor a ``Reference`` to a Practitioner or Organization: each author
  is a contained ``Practitioner`` whose ``HumanName`` keeps family and given apart.
- A finding is an ``Evidence``: the quote (verbatim) and the direction as notes, the summary as
  description, ``variableDefinition`` for the population (the condition), the intervention
  (exposure), the comparator (reference exposure: a treatment or placebo) and the outcome
  (measured variable), one ``statistic`` with its type (HL7 statistic-type codes), the estimate,
  the 95% CI and p-value as ``attributeEstimate`` and the number of participants, the GRADE
  certainty as ``certainty``, and ``citeAsReference`` to the study's ``Citation``.
- A treatment's evidence is a ``Bundle`` of type ``collection``: the ``Citation`` of each study
  then the ``Evidence`` of each finding.

Each resource lives at the URL of its API resource (``{base_url}/v1/studies/12``), which is its
``url``, the bundle entry's ``fullUrl`` and the target of references to it; its ``id`` is the
API id. The functions return plain JSON-ready dicts (``*_resource``, ``evidence_bundle``) or the
library's models (``build_*``); ``fhir_json`` serialises a resource.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from fhir.resources.annotation import Annotation
from fhir.resources.attachment import Attachment
from fhir.resources.bundle import Bundle, BundleEntry
from fhir.resources.citation import (
    Citation,
    CitationCitedArtifact,
    CitationCitedArtifactAbstract,
    CitationCitedArtifactClassification,
    CitationCitedArtifactContributorship,
    CitationCitedArtifactContributorshipEntry,
    CitationCitedArtifactPublicationForm,
    CitationCitedArtifactPublicationFormPublishedIn,
    CitationCitedArtifactTitle,
    CitationCitedArtifactWebLocation,
)
from fhir.resources.codeableconcept import CodeableConcept
from fhir.resources.coding import Coding
from fhir.resources.evidence import (
    Evidence,
    EvidenceCertainty,
    EvidenceStatistic,
    EvidenceStatisticAttributeEstimate,
    EvidenceStatisticSampleSize,
    EvidenceVariableDefinition,
)
from fhir.resources.humanname import HumanName
from fhir.resources.identifier import Identifier
from fhir.resources.practitioner import Practitioner
from fhir.resources.quantity import Quantity
from fhir.resources.range import Range
from fhir.resources.reference import Reference
from fhir.resources.relatedartifact import RelatedArtifact

from app.exports.citations import preferred_media_type, printed_name, split_pages
from app.findings.schemas import FindingRead
from app.links import finding_href, study_href
from app.models.enums import Certainty, ComparatorType, EffectMeasure
from app.studies.schemas import StudyRead

FHIR_MEDIA_TYPE = "application/fhir+json"

DOI_SYSTEM = "https://doi.org"
PMID_SYSTEM = "https://pubmed.ncbi.nlm.nih.gov"
PMCID_SYSTEM = "https://www.ncbi.nlm.nih.gov/pmc"

VARIABLE_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/variable-role"
STATISTIC_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/statistic-type"
ATTRIBUTE_ESTIMATE_SYSTEM = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
CERTAINTY_TYPE_SYSTEM = "http://hl7.org/fhir/certainty-type"
CERTAINTY_RATING_SYSTEM = "http://hl7.org/fhir/certainty-rating"

# EffectMeasure -> (code, display) in the statistic-type code system.
STATISTIC_TYPES: Mapping[EffectMeasure, tuple[str, str]] = {
    EffectMeasure.mean_difference: ("0000457", "Mean Difference"),
    EffectMeasure.standardised_mean_difference: ("0000100", "Standardized Mean Difference"),
    EffectMeasure.risk_ratio: ("C93152", "Relative Risk"),
    EffectMeasure.odds_ratio: ("C16932", "Odds Ratio"),
    EffectMeasure.risk_difference: ("0000424", "Risk Difference"),
}

# GRADE certainty -> (code, display) in the certainty-rating code system.
CERTAINTY_RATINGS: Mapping[Certainty, tuple[str, str]] = {
    Certainty.high: ("high", "High quality"),
    Certainty.moderate: ("moderate", "Moderate quality"),
    Certainty.low: ("low", "Low quality"),
    Certainty.very_low: ("very-low", "Very low quality"),
}

CI_LEVEL = 0.95


def accepts_fhir(accept_header: str | None) -> bool:
    """Whether an ``Accept`` header prefers ``application/fhir+json`` to plain JSON."""
    return preferred_media_type(accept_header, [FHIR_MEDIA_TYPE]) is not None


def study_url(study_id: int, base_url: str) -> str:
    return f"{base_url.rstrip('/')}{study_href(study_id)}"


def finding_url(finding_id: int, base_url: str) -> str:
    return f"{base_url.rstrip('/')}{finding_href(finding_id)}"


def _concept(system: str, code: str, display: str) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)], text=display)


def _text_concept(text: str) -> CodeableConcept:
    return CodeableConcept(text=text)


def _label(value: str) -> str:
    """``randomized_trial`` -> ``randomized trial``."""
    return value.replace("_", " ")


# --- Citation ------------------------------------------------------------------------------


def _identifiers(study: StudyRead) -> list[Identifier]:
    identifiers = []
    for system, kind, value in (
        (DOI_SYSTEM, "DOI", study.doi),
        (PMID_SYSTEM, "PMID", study.pmid),
        (PMCID_SYSTEM, "PMCID", study.pmcid),
    ):
        if value:
            identifiers.append(Identifier(system=system, value=value, type=_text_concept(kind)))
    return identifiers


def _contributors(
    study: StudyRead,
) -> tuple[list[Practitioner], CitationCitedArtifactContributorship | None]:
    if not study.authors:
        return [], None
    practitioners: list[Practitioner] = []
    entries: list[CitationCitedArtifactContributorshipEntry] = []
    for rank, author in enumerate(study.authors, start=1):
        local_id = f"author-{rank}"
        name = HumanName(family=author.family, given=[author.given] if author.given else None)
        practitioners.append(Practitioner(id=local_id, name=[name]))
        entries.append(
            CitationCitedArtifactContributorshipEntry(
                contributor=Reference(reference=f"#{local_id}", display=printed_name(author)),
                rankingOrder=rank,
            )
        )
    return practitioners, CitationCitedArtifactContributorship(entry=entries)


def _publication_form(study: StudyRead) -> CitationCitedArtifactPublicationForm | None:
    first_page, last_page = split_pages(study.pages)
    year = str(study.year) if study.year is not None else None
    values: dict[str, Any] = {
        "publishedIn": (
            CitationCitedArtifactPublicationFormPublishedIn(title=study.journal)
            if study.journal
            else None
        ),
        "volume": study.volume,
        "issue": study.issue,
        "articleDate": year,
        "publicationDateText": year,
        "pageString": study.pages,
        "firstPage": first_page,
        "lastPage": last_page,
    }
    present = {key: value for key, value in values.items() if value is not None}
    return CitationCitedArtifactPublicationForm(**present) if present else None


def _classifications(study: StudyRead) -> list[CitationCitedArtifactClassification]:
    classifications = []
    if study.design is not None:
        classifications.append(
            CitationCitedArtifactClassification(
                type=_text_concept("study design"),
                classifier=[_text_concept(_label(study.design.value))],
            )
        )
    if study.evidence_level is not None:
        classifications.append(
            CitationCitedArtifactClassification(
                type=_text_concept("evidence level (1 strongest to 5)"),
                classifier=[_text_concept(str(study.evidence_level))],
            )
        )
    return classifications


def _citation_notes(study: StudyRead) -> list[Annotation]:
    notes = [Annotation(text="This article has been retracted.")] if study.retracted else []
    notes.extend(
        Annotation(
            text=f"Data-quality warning ({warning.code}, {warning.field}): {warning.message}"
        )
        for warning in study.warnings
    )
    return notes


def build_citation(study: StudyRead, base_url: str) -> Citation:
    """The FHIR ``Citation`` of ``study`` (a validated ``fhir.resources`` model)."""
    practitioners, contributorship = _contributors(study)
    publication_form = _publication_form(study)
    artifact = CitationCitedArtifact(
        identifier=_identifiers(study) or None,
        title=[CitationCitedArtifactTitle(text=study.title)],
        abstract=[CitationCitedArtifactAbstract(text=study.abstract)] if study.abstract else None,
        publicationForm=[publication_form] if publication_form is not None else None,
        webLocation=[CitationCitedArtifactWebLocation(url=study.url)] if study.url else None,
        classification=_classifications(study) or None,
        contributorship=contributorship,
        note=_citation_notes(study) or None,
    )
    return Citation(
        id=str(study.id),
        contained=practitioners or None,
        url=study_url(study.id, base_url),
        title=study.title,
        status="active",
        date=study.updated_at.isoformat(),
        citedArtifact=artifact,
    )


# --- Evidence ------------------------------------------------------------------------------


def _variable(role: str, display: str, description: str) -> EvidenceVariableDefinition:
    return EvidenceVariableDefinition(
        description=description,
        variableRole=_concept(VARIABLE_ROLE_SYSTEM, role, display),
        observed=Reference(display=description),
    )


def _variables(finding: FindingRead) -> list[EvidenceVariableDefinition]:
    variables = []
    if finding.condition is not None:
        variables.append(_variable("population", "population", finding.condition.name))
    variables.append(_variable("exposure", "exposure", finding.intervention.name))
    if finding.comparator is not None:
        comparator: str | None = finding.comparator.name
    elif finding.comparator_type == ComparatorType.placebo:
        comparator = "placebo"
    else:
        comparator = None  # none, or not stated: no reference exposure
    if comparator is not None:
        variables.append(_variable("referenceExposure", "reference exposure", comparator))
    if finding.outcome:
        variables.append(_variable("measuredVariable", "measured variable", finding.outcome))
    return variables


def _participants(finding: FindingRead, study: StudyRead | None) -> int | None:
    numbers = finding.numbers
    if numbers.n_intervention is not None and numbers.n_comparator is not None:
        return numbers.n_intervention + numbers.n_comparator
    if study is not None and study.sample_size is not None:
        return study.sample_size
    return None


def _statistic(finding: FindingRead, study: StudyRead | None) -> EvidenceStatistic | None:
    numbers = finding.numbers
    estimates: list[EvidenceStatisticAttributeEstimate] = []
    if numbers.ci_lower is not None or numbers.ci_upper is not None:
        estimates.append(
            EvidenceStatisticAttributeEstimate(
                type=_concept(ATTRIBUTE_ESTIMATE_SYSTEM, "C53324", "Confidence interval"),
                level=CI_LEVEL,
                range=Range(
                    low=Quantity(value=numbers.ci_lower) if numbers.ci_lower is not None else None,
                    high=Quantity(value=numbers.ci_upper) if numbers.ci_upper is not None else None,
                ),
            )
        )
    if numbers.p_value is not None:
        estimates.append(
            EvidenceStatisticAttributeEstimate(
                type=_concept(ATTRIBUTE_ESTIMATE_SYSTEM, "C44185", "P-value"),
                quantity=Quantity(value=numbers.p_value),
            )
        )
    if numbers.standard_error is not None:
        estimates.append(
            EvidenceStatisticAttributeEstimate(
                type=_text_concept("Standard error"),
                quantity=Quantity(value=numbers.standard_error),
            )
        )
    participants = _participants(finding, study)
    measure = numbers.effect_measure
    if measure is None and numbers.effect_value is None and not estimates and participants is None:
        return None
    statistic_type = None
    if measure is not None:
        code, display = STATISTIC_TYPES[measure]
        statistic_type = _concept(STATISTIC_TYPE_SYSTEM, code, display)
    sample_size = None
    if participants is not None or finding.study is not None:
        sample_size = EvidenceStatisticSampleSize(
            numberOfStudies=1 if finding.study is not None else None,
            numberOfParticipants=participants,
        )
    return EvidenceStatistic(
        description=f"At {numbers.time_point}" if numbers.time_point else None,
        statisticType=statistic_type,
        quantity=Quantity(value=numbers.effect_value) if numbers.effect_value is not None else None,
        sampleSize=sample_size,
        attributeEstimate=estimates or None,
    )


def _certainty(finding: FindingRead) -> list[EvidenceCertainty] | None:
    if finding.certainty is None:
        return None
    code, display = CERTAINTY_RATINGS[finding.certainty]
    return [
        EvidenceCertainty(
            description="GRADE certainty of the evidence",
            type=_concept(CERTAINTY_TYPE_SYSTEM, "Overall", "Overall certainty"),
            rating=_concept(CERTAINTY_RATING_SYSTEM, code, display),
        )
    ]


def _title(finding: FindingRead) -> str:
    comparator = finding.comparator.name if finding.comparator is not None else None
    if comparator is None and finding.comparator_type == ComparatorType.placebo:
        comparator = "placebo"
    title = finding.intervention.name + (f" versus {comparator}" if comparator else "")
    return f"{title}: {finding.outcome}" if finding.outcome else title


def build_evidence(
    finding: FindingRead, base_url: str, *, study: StudyRead | None = None
) -> Evidence:
    """The FHIR ``Evidence`` of ``finding`` (a validated ``fhir.resources`` model).

    ``study``, the cited study's read model when the caller has it, adds its design and, when
    the finding gives no arm sizes, its sample size.
    """
    base = base_url.rstrip("/")
    cite_as = None
    related = [
        RelatedArtifact(
            type="derived-from",
            display=finding.source.title,
            document=Attachment(url=f"{base}{finding.source.href}", title=finding.source.title),
        )
    ]
    if finding.study is not None:
        url = study_url(finding.study.id, base)
        cite_as = Reference(reference=url, type="Citation", display=finding.study.title)
        related.insert(
            0, RelatedArtifact(type="cite-as", display=finding.study.title, resource=url)
        )
    design = study.design if study is not None and study.design is not None else None
    return Evidence(
        id=str(finding.id),
        url=finding_url(finding.id, base),
        title=_title(finding),
        citeAsReference=cite_as,
        status="active",
        relatedArtifact=related,
        description=finding.summary,
        note=[
            Annotation(text=finding.quote),
            Annotation(text=f"Direction of effect: {_label(finding.direction.value)}"),
        ],
        variableDefinition=_variables(finding),
        studyDesign=[_text_concept(_label(design.value))] if design is not None else None,
        statistic=[statistic] if (statistic := _statistic(finding, study)) is not None else None,
        certainty=_certainty(finding),
    )


# --- Bundle --------------------------------------------------------------------------------


def build_bundle(
    findings: Iterable[FindingRead],
    studies: Iterable[StudyRead],
    base_url: str,
    *,
    bundle_id: str | None = None,
    timestamp: datetime | None = None,
) -> Bundle:
    """A ``collection`` Bundle: the ``Citation`` of each study, then the ``Evidence`` of each
    finding (each once, in the order given)."""
    by_id = {study.id: study for study in studies}
    entries = [
        BundleEntry(fullUrl=study_url(study.id, base_url), resource=build_citation(study, base_url))
        for study in by_id.values()
    ]
    seen: set[int] = set()
    for finding in findings:
        if finding.id in seen:
            continue
        seen.add(finding.id)
        study = by_id.get(finding.study.id) if finding.study is not None else None
        entries.append(
            BundleEntry(
                fullUrl=finding_url(finding.id, base_url),
                resource=build_evidence(finding, base_url, study=study),
            )
        )
    return Bundle(
        id=bundle_id,
        type="collection",
        timestamp=timestamp.isoformat() if timestamp is not None else None,
        entry=entries or None,
    )


# --- plain JSON ----------------------------------------------------------------------------


def _plain(resource: Citation | Evidence | Bundle) -> dict[str, Any]:
    plain: dict[str, Any] = orjson.loads(resource.model_dump_json())
    return plain


def citation_resource(study: StudyRead, base_url: str) -> dict[str, Any]:
    """The ``Citation`` of ``study`` as a JSON-ready dict."""
    return _plain(build_citation(study, base_url))


def evidence_resource(
    finding: FindingRead, base_url: str, *, study: StudyRead | None = None
) -> dict[str, Any]:
    """The ``Evidence`` of ``finding`` as a JSON-ready dict."""
    return _plain(build_evidence(finding, base_url, study=study))


def evidence_bundle(
    findings: Iterable[FindingRead],
    studies: Iterable[StudyRead],
    base_url: str,
    *,
    bundle_id: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A treatment's evidence: a ``collection`` Bundle as a JSON-ready dict."""
    bundle = build_bundle(findings, studies, base_url, bundle_id=bundle_id, timestamp=timestamp)
    return _plain(bundle)


def fhir_json(resource: Mapping[str, Any]) -> bytes:
    """A resource dict as UTF-8 JSON bytes, for a response with ``FHIR_MEDIA_TYPE``."""
    return orjson.dumps(resource)
