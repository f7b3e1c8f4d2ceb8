"""Deterministic, clearly synthetic evidence: vocabularies, citation records and the six
reference file formats the project imports (RIS, BibTeX, CSL-JSON, PubMed XML, MEDLINE and
Crossref JSON).

Every name, title, abstract, DOI and PMID here is invented. DOIs use the 10.5555 test prefix
(``10.5555/bench.<index>``); PMIDs are 9-digit numbers starting with 9. Abstracts open with
"SYNTHETIC BENCHMARK RECORD" so that nobody mistakes them for real evidence.
"""

from __future__ import annotations

import json
import random
import textwrap
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from xml.sax.saxutils import escape

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ou")
_CODAS = ("", "", "n", "r", "l", "s", "x", "m")

DESIGNS: tuple[str, ...] = (
    "randomized_trial",
    "randomized_trial",
    "randomized_trial",
    "cohort",
    "cohort",
    "case_series",
    "case_series",
    "non_randomized_trial",
    "systematic_review",
    "meta_analysis",
    "case_control",
    "cross_sectional",
    "case_report",
    "animal_study",
    "in_vitro",
    "experimental",
    "narrative_review",
    "expert_opinion",
)
DESIGN_PHRASES = {
    "randomized_trial": "randomised trial",
    "cohort": "cohort study",
    "case_series": "case series",
    "non_randomized_trial": "non-randomised trial",
    "systematic_review": "systematic review",
    "meta_analysis": "meta-analysis",
    "case_control": "case-control study",
    "cross_sectional": "cross-sectional survey",
    "case_report": "case report",
    "animal_study": "murine model",
    "in_vitro": "in-vitro study",
    "experimental": "experimental study",
    "narrative_review": "narrative review",
    "expert_opinion": "expert opinion",
}
OUTCOMES = (
    "total hair count",
    "terminal hair density",
    "hair shaft diameter",
    "global photographic assessment",
    "patient satisfaction",
    "hair loss severity score",
    "anagen to telogen ratio",
    "vellus hair count",
    "hair regrowth rate",
    "scalp coverage score",
    "quality of life index",
    "investigator assessment",
)
TREATMENT_FORMS = ("foam", "solution", "tablet", "serum", "laser", "injection", "device", "capsule")
FORM_KIND = {
    "foam": "topical_drug",
    "solution": "topical_drug",
    "serum": "topical_drug",
    "tablet": "oral_drug",
    "capsule": "supplement",
    "laser": "device",
    "device": "device",
    "injection": "injection",
}
FREQUENCIES = ("common", "uncommon", "rare", "very rare", "frequent", "isolated cases")


class Words:
    """Pseudo-words from syllables: unique, pronounceable, not English."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def word(self, syllables: int) -> str:
        while True:
            text = "".join(
                self._rng.choice(_ONSETS) + self._rng.choice(_VOWELS) + self._rng.choice(_CODAS)
                for _ in range(syllables)
            )
            if text not in self._seen and len(text) >= 4:
                self._seen.add(text)
                return text

    def words(self, count: int, syllables: tuple[int, int] = (2, 3)) -> list[str]:
        return [self.word(self._rng.randint(*syllables)) for _ in range(count)]


@dataclass(frozen=True, slots=True)
class TreatmentSpec:
    slug: str
    name: str
    kind: str
    description: str
    components: tuple[int, ...] = ()  # indexes of the treatments a combination includes


@dataclass(frozen=True, slots=True)
class NamedSpec:
    slug: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Everything records and findings draw from; fixed by the seed."""

    treatments: tuple[TreatmentSpec, ...]
    conditions: tuple[NamedSpec, ...]
    side_effects: tuple[NamedSpec, ...]
    families: tuple[str, ...]
    givens: tuple[str, ...]
    journals: tuple[str, ...]
    words: tuple[str, ...]  # abstract vocabulary, most frequent first
    word_weights: tuple[float, ...]  # cumulative, for bisect


def vocabulary(seed: int = 42, treatments: int = 200) -> Vocabulary:
    rng = random.Random(seed)
    words = Words(rng)
    base_count = treatments - treatments // 12
    specs: list[TreatmentSpec] = []
    for stem in words.words(base_count, (3, 3)):
        form = rng.choice(TREATMENT_FORMS)
        name = f"{stem.capitalize()} {form}"
        description = (
            f"Synthetic benchmark treatment: {name} is an invented {form} "
            f"that no one has ever used."
        )
        specs.append(TreatmentSpec(f"{stem}-{form}", name, FORM_KIND[form], description))
    while len(specs) < treatments:
        first, second = rng.sample(range(base_count), 2)
        a, b = specs[first], specs[second]
        slug = f"{a.slug}-plus-{b.slug}"[:80]
        if any(spec.slug == slug for spec in specs):
            continue
        specs.append(
            TreatmentSpec(
                slug,
                f"{a.name} with {b.name}",
                "combination",
                f"Synthetic benchmark combination of {a.name} and {b.name}.",
                (first, second),
            )
        )
    conditions = tuple(
        NamedSpec(
            f"synthetic-{stem}-alopecia",
            f"Synthetic {stem} alopecia",
            f"An invented hair-loss condition ({stem}) for benchmarks.",
        )
        for stem in words.words(20)
    )
    side_effects = tuple(
        NamedSpec(
            f"synthetic-{stem}-{kind}",
            f"Synthetic {stem} {kind}",
            f"An invented adverse event ({stem} {kind}) for benchmarks.",
        )
        for stem, kind in zip(
            words.words(50),
            rng.choices(("erythema", "pruritus", "scaling", "headache", "oedema"), k=50),
            strict=True,
        )
    )
    vocab = words.words(3000, (2, 4))
    weights = list(accumulate(1.0 / (rank + 10) for rank in range(len(vocab))))
    return Vocabulary(
        treatments=tuple(specs),
        conditions=conditions,
        side_effects=side_effects,
        families=tuple(w.capitalize() for w in words.words(2000, (2, 3))),
        givens=tuple(w.capitalize() for w in words.words(400, (2, 2))),
        journals=tuple(
            f"Synthetic Journal of {w.capitalize()} Trichology" for w in words.words(100)
        ),
        words=tuple(vocab),
        word_weights=tuple(weights),
    )


@dataclass(frozen=True, slots=True)
class Record:
    """One synthetic citation, with the treatment and condition its findings will be about."""

    index: int
    title: str
    authors: tuple[tuple[str, str], ...]  # (family, given)
    year: int
    journal: str
    volume: str
    issue: str
    first_page: int
    last_page: int
    doi: str
    pmid: str | None
    abstract: str
    design: str
    treatment: int
    condition: int


def doi_for(index: int, prefix: str = "bench") -> str:
    return f"10.5555/{prefix}.{index:07d}"


def records(
    vocab: Vocabulary, start: int, count: int, *, seed: int = 42, prefix: str = "bench"
) -> list[Record]:
    """Records ``start`` .. ``start + count - 1``; each one depends only on the seed and its
    index, so any chunk can be made on its own."""
    out = []
    n_treatments = len(vocab.treatments)
    for index in range(start, start + count):
        rng = random.Random(f"{seed}:{prefix}:{index}")
        design = rng.choice(DESIGNS)
        # Mostly uniform over treatments, with a long tail of a few heavily studied ones.
        if rng.random() < 0.8:
            treatment = rng.randrange(n_treatments)
        else:
            treatment = min(int(rng.paretovariate(1.2)) - 1, n_treatments - 1)
        condition = rng.randrange(len(vocab.conditions))
        spec, cond = vocab.treatments[treatment], vocab.conditions[condition]
        weeks = rng.choice((8, 12, 16, 24, 26, 48, 52))
        outcome = rng.choice(OUTCOMES)
        title = (
            f"Synthetic {DESIGN_PHRASES[design]} {index:07d}: {spec.name} for "
            f"{cond.name.removeprefix('Synthetic ')}, {outcome} at {weeks} weeks"
        )
        n_words = rng.randint(60, 140)
        body = [
            vocab.words[bisect(vocab.word_weights, rng.random() * vocab.word_weights[-1])]
            for _ in range(n_words)
        ]
        cut = n_words // 2
        abstract = (
            "SYNTHETIC BENCHMARK RECORD; no patients took part. "
            f"BACKGROUND: {' '.join(body[:cut])}. "
            f"METHODS: {spec.name} versus comparator in {cond.name.lower()}. "
            f"RESULTS: {' '.join(body[cut:])}; {outcome} reported at week {weeks}."
        )
        first = rng.randint(1, 900)
        authors = tuple(
            (rng.choice(vocab.families), rng.choice(vocab.givens)) for _ in range(rng.randint(1, 6))
        )
        out.append(
            Record(
                index=index,
                title=title,
                authors=authors,
                year=rng.randint(1990, 2025),
                journal=rng.choice(vocab.journals),
                volume=str(rng.randint(1, 60)),
                issue=str(rng.randint(1, 12)),
                first_page=first,
                last_page=first + rng.randint(2, 14),
                doi=doi_for(index, prefix),
                pmid=str(900_000_000 + index) if rng.random() < 0.7 else None,
                abstract=abstract,
                design=design,
                treatment=treatment,
                condition=condition,
            )
        )
    return out


# --- the six file formats ------------------------------------------------------------------


def to_ris(items: Iterable[Record]) -> str:
    parts = []
    for r in items:
        lines = ["TY  - JOUR", f"ID  - bench{r.index}"]
        lines += [f"AU  - {family}, {given}" for family, given in r.authors]
        lines += [
            f"PY  - {r.year}",
            f"TI  - {r.title}",
            f"T2  - {r.journal}",
            f"VL  - {r.volume}",
            f"IS  - {r.issue}",
            f"SP  - {r.first_page}",
            f"EP  - {r.last_page}",
            f"DO  - {r.doi}",
        ]
        if r.pmid:
            lines += [f"AN  - {r.pmid}", "DB  - PubMed"]
        lines += [f"AB  - {r.abstract}", "ER  - ", ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def to_bibtex(items: Iterable[Record]) -> str:
    parts = ["% Synthetic benchmark bibliography: every record is invented.\n"]
    for r in items:
        authors = " and ".join(f"{family}, {given}" for family, given in r.authors)
        fields = [
            f"  author   = {{{authors}}}",
            f"  title    = {{{r.title}}}",
            f"  journal  = {{{r.journal}}}",
            f"  year     = {{{r.year}}}",
            f"  volume   = {{{r.volume}}}",
            f"  number   = {{{r.issue}}}",
            f"  pages    = {{{r.first_page}--{r.last_page}}}",
            f"  doi      = {{{r.doi}}}",
        ]
        if r.pmid:
            fields.append(f"  pmid     = {{{r.pmid}}}")
        fields.append(f"  abstract = {{{r.abstract}}}")
        parts.append(f"@article{{bench{r.index},\n" + ",\n".join(fields) + ",\n}\n")
    return "\n".join(parts)


def _csl(r: Record) -> dict[str, object]:
    item: dict[str, object] = {
        "id": f"bench{r.index}",
        "type": "article-journal",
        "title": r.title,
        "author": [{"family": family, "given": given} for family, given in r.authors],
        "issued": {"date-parts": [[r.year]]},
        "container-title": r.journal,
        "volume": r.volume,
        "issue": r.issue,
        "page": f"{r.first_page}-{r.last_page}",
        "DOI": r.doi,
        "abstract": r.abstract,
    }
    if r.pmid:
        item["PMID"] = r.pmid
    return item


def to_csl_json(items: Iterable[Record]) -> str:
    return json.dumps([_csl(r) for r in items], ensure_ascii=False, indent=1)


def to_crossref_json(items: Sequence[Record]) -> str:
    works = [
        {
            "DOI": r.doi,
            "type": "journal-article",
            "title": [r.title],
            "author": [
                {"given": given, "family": family, "sequence": "first" if i == 0 else "additional"}
                for i, (family, given) in enumerate(r.authors)
            ],
            "container-title": [r.journal],
            "issued": {"date-parts": [[r.year]]},
            "volume": r.volume,
            "issue": r.issue,
            "page": f"{r.first_page}-{r.last_page}",
            "abstract": f"<jats:p>{escape(r.abstract)}</jats:p>",
            "URL": f"https://doi.org/{r.doi}",
            "publisher": "Synthetic Benchmark Publisher",
        }
        for r in items
    ]
    message = {"facets": {}, "total-results": len(works), "items": works}
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": message,
        },
        ensure_ascii=False,
    )


def to_pubmed_xml(items: Iterable[Record]) -> str:
    out = ['<?xml version="1.0" ?>', "<PubmedArticleSet>"]
    for r in items:
        pmid = r.pmid or str(800_000_000 + r.index)
        authors = "".join(
            f'<Author ValidYN="Y"><LastName>{escape(family)}</LastName>'
            f"<ForeName>{escape(given)}</ForeName><Initials>{given[0]}</Initials></Author>"
            for family, given in r.authors
        )
        out.append(
            "<PubmedArticle>"
            f'<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
            '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet">'
            f"<Volume>{r.volume}</Volume><Issue>{r.issue}</Issue>"
            f"<PubDate><Year>{r.year}</Year></PubDate></JournalIssue>"
            f"<Title>{escape(r.journal)}</Title></Journal>"
            f"<ArticleTitle>{escape(r.title)}</ArticleTitle>"
            f"<Pagination><StartPage>{r.first_page}</StartPage><EndPage>{r.last_page}</EndPage>"
            f"<MedlinePgn>{r.first_page}-{r.last_page}</MedlinePgn></Pagination>"
            f'<ELocationID EIdType="doi" ValidYN="Y">{r.doi}</ELocationID>'
            f"<Abstract><AbstractText>{escape(r.abstract)}</AbstractText></Abstract>"
            f'<AuthorList CompleteYN="Y">{authors}</AuthorList>'
            "</Article></MedlineCitation>"
            f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
            f'<ArticleId IdType="doi">{r.doi}</ArticleId></ArticleIdList></PubmedData>'
            "</PubmedArticle>"
        )
    out.append("</PubmedArticleSet>\n")
    return "\n".join(out)


def _medline_field(tag: str, value: str) -> list[str]:
    wrapped = textwrap.wrap(value, 76) or [""]
    return [f"{tag:<4}- {wrapped[0]}", *(f"      {line}" for line in wrapped[1:])]


def to_medline(items: Iterable[Record]) -> str:
    out = []
    for r in items:
        pmid = r.pmid or str(800_000_000 + r.index)
        lines = [f"PMID- {pmid}", "OWN - NLM", "STAT- MEDLINE"]
        lines += [f"VI  - {r.volume}", f"IP  - {r.issue}", f"DP  - {r.year}"]
        lines += _medline_field("TI", r.title)
        lines += [f"PG  - {r.first_page}-{r.last_page}", f"LID - {r.doi} [doi]"]
        lines += _medline_field("AB", r.abstract)
        for family, given in r.authors:
            lines += [f"FAU - {family}, {given}", f"AU  - {family} {given[0]}"]
        lines += ["LA  - eng", "PT  - Journal Article", f"JT  - {r.journal}"]
        lines += [f"AID - {r.doi} [doi]", ""]
        out.append("\n".join(lines))
    return "\n".join(out)


FORMATS = {
    "ris": (to_ris, "ris"),
    "bibtex": (to_bibtex, "bib"),
    "csl_json": (to_csl_json, "csl.json"),
    "pubmed_xml": (to_pubmed_xml, "pubmed.xml"),
    "medline": (to_medline, "nbib"),
    "crossref_json": (to_crossref_json, "crossref.json"),
}
