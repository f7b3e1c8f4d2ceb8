"""References between resources: the small embedded form and the URL of each resource."""

from pydantic import BaseModel

API = "/v1"


def treatment_href(slug: str) -> str:
    return f"{API}/treatments/{slug}"


def condition_href(slug: str) -> str:
    return f"{API}/conditions/{slug}"


def study_href(study_id: int) -> str:
    return f"{API}/studies/{study_id}"


def finding_href(finding_id: int) -> str:
    return f"{API}/findings/{finding_id}"


def side_effect_href(slug: str) -> str:
    return f"{API}/side-effects/{slug}"


def source_href(source_id: int) -> str:
    return f"{API}/sources/{source_id}"


def doi_url(doi: str | None) -> str | None:
    return f"https://doi.org/{doi}" if doi else None


def pubmed_url(pmid: str | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None


class TreatmentRef(BaseModel):
    slug: str
    name: str
    href: str

    @classmethod
    def of(cls, slug: str, name: str) -> "TreatmentRef":
        return cls(slug=slug, name=name, href=treatment_href(slug))


class ConditionRef(BaseModel):
    slug: str
    name: str
    href: str

    @classmethod
    def of(cls, slug: str, name: str) -> "ConditionRef":
        return cls(slug=slug, name=name, href=condition_href(slug))


class StudyRef(BaseModel):
    id: int
    title: str
    year: int | None
    href: str

    @classmethod
    def of(cls, study_id: int, title: str, year: int | None) -> "StudyRef":
        return cls(id=study_id, title=title, year=year, href=study_href(study_id))


class SourceRef(BaseModel):
    id: int
    kind: str
    title: str
    href: str

    @classmethod
    def of(cls, source_id: int, kind: str, title: str) -> "SourceRef":
        return cls(id=source_id, kind=kind, title=title, href=source_href(source_id))


class SideEffectRef(BaseModel):
    slug: str
    name: str
    href: str

    @classmethod
    def of(cls, slug: str, name: str) -> "SideEffectRef":
        return cls(slug=slug, name=name, href=side_effect_href(slug))
