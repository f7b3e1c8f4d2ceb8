from pydantic import BaseModel, ConfigDict, Field

from app.cautions.schemas import CautionRead
from app.expansion import Expandable
from app.fields import LongText, Name, Slug
from app.findings.schemas import FindingRead
from app.links import TreatmentRef
from app.models.enums import TreatmentKind, TreatmentSetting
from app.side_effects.schemas import SideEffectReportRead
from app.studies.schemas import StudyRead


class TreatmentLinks(BaseModel):
    self: str
    studies: str
    findings: str
    side_effects: str
    cautions: str


class TreatmentRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "slug": "minoxidil-microneedling",
                "name": "Minoxidil with microneedling",
                "kind": "combination",
                "description": None,
                "mechanism": None,
                "setting": None,
                "aliases": ["topical minoxidil plus microneedling"],
                "components": [
                    {
                        "slug": "microneedling",
                        "name": "Microneedling",
                        "href": "/v1/treatments/microneedling",
                    },
                    {"slug": "minoxidil", "name": "Minoxidil", "href": "/v1/treatments/minoxidil"},
                ],
                "part_of": [],
                "links": {
                    "self": "/v1/treatments/minoxidil-microneedling",
                    "studies": "/v1/treatments/minoxidil-microneedling/studies",
                    "findings": "/v1/treatments/minoxidil-microneedling/findings",
                    "side_effects": "/v1/treatments/minoxidil-microneedling/side-effects",
                    "cautions": "/v1/treatments/minoxidil-microneedling/cautions",
                },
            }
        }
    )

    slug: str
    name: str
    kind: TreatmentKind
    description: str | None = Field(description="The source's words, where it describes it.")
    mechanism: str | None
    setting: TreatmentSetting | None
    aliases: list[str]
    components: list[TreatmentRef] = Field(description="For a combination, what it combines.")
    part_of: list[TreatmentRef] = Field(description="Combinations that include this treatment.")
    links: TreatmentLinks


class TreatmentDetail(TreatmentRead, Expandable):
    """A treatment, with the related resources named in ``expand`` embedded (first page)."""

    studies: list[StudyRead] | None = None
    findings: list[FindingRead] | None = None
    side_effects: list[SideEffectReportRead] | None = None
    cautions: list[CautionRead] | None = None


class TreatmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    kind: TreatmentKind
    description: LongText | None = None
    mechanism: LongText | None = None
    setting: TreatmentSetting | None = None
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    components: list[Slug] = Field(
        default_factory=list, max_length=10, description="Slugs of what a combination combines."
    )


class TreatmentUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    name: Name | None = None
    kind: TreatmentKind | None = None
    description: LongText | None = None
    mechanism: LongText | None = None
    setting: TreatmentSetting | None = None
    aliases: list[Name] | None = Field(default=None, max_length=50)
    components: list[Slug] | None = Field(default=None, max_length=10)
