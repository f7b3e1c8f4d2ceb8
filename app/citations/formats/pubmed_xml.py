"""PubMed XML (``PubmedArticleSet`` as E-utilities efetch returns it), read with lxml.

Safety. Real efetch output starts with a DOCTYPE naming NLM's external DTD::

    <!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"
      "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">

so refusing every DTD (defusedxml's ``forbid_dtd=True``) would refuse every real file. The
choice here: a DOCTYPE is allowed, but nothing in it is ever acted on, and any entity
declaration refuses the file.

- The parser never loads the external DTD (``load_dtd=False``), never touches the network
  (``no_network=True``), never substitutes entities (``resolve_entities=False``: a reference
  stays an unexpanded node) and keeps libxml2's size limits (``huge_tree=False``).
- When the root element opens (the internal DTD subset is complete by then, and no record has
  been read), a DTD that declares any entity, general or parameter, internal or external
  (``SYSTEM``/``PUBLIC``), raises ``UnreadableFile``: that covers external entities (XXE) and
  entity expansion ("billion laughs"). PubMed never declares entities; a DOCTYPE without
  declarations, or with only element and attribute declarations (never applied: no DTD
  validation or default attributes), is harmless.

lxml (libxml2) rather than defusedxml: defusedxml's ``iterparse`` runs the pure-Python
ElementTree parser (a Python call per element; a PubMed record has hundreds of elements,
several times too slow for thousands of records a second) and reports no element lines.
lxml builds each record in C, gives ``sourceline`` and, with a tag filter, hands Python only
the record elements, which are cleared once read.

A file that stops being well-formed part-way (truncated) raises ``UnreadableFile`` when the
parser reaches the break, after the records before it were yielded.
"""

from collections.abc import Iterator
from typing import Any

from lxml import etree

from app.citations.formats._common import ReferenceText, chunks
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord

_ROOTS = ("PubmedArticleSet",)
_ARTICLES = ("PubmedArticle", "PubmedBookArticle")
_CHUNK = 1 << 20  # characters fed to the parser at a time
# Without a PubmedArticleSet start within this many characters, the file is not PubMed XML.
_ROOT_WITHIN = 4 * _CHUNK


def _parser() -> Any:
    return etree.XMLPullParser(
        events=("start", "end"),
        tag=(*_ROOTS, *_ARTICLES),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _entity_line(text: str) -> int | None:
    """The line of the first entity declaration, for reports."""
    position = text.find("<!ENTITY")
    return text.count("\n", 0, position) + 1 if position >= 0 else None


def _refuse_entities(element: Any, text: str) -> None:
    dtd = element.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    for entity in dtd.iterentities():
        kind = "an external entity" if entity.system_url else "an entity"
        raise UnreadableFile(
            f"unsafe XML: the DTD declares {kind} ({entity.name!r}); entity declarations are "
            "refused (entity expansion and external entities are unsafe, and PubMed uses none)",
            line=_entity_line(text),
        )


def _all_text(element: Any) -> str | None:
    if element is None:
        return None
    text: str = "".join(element.itertext())
    return text if text.strip() else None


def _find_text(element: Any, path: str) -> str | None:
    text: str | None = element.findtext(path)
    return text if text and text.strip() else None


def _authors(author_list: Any) -> list[str | Author]:
    if author_list is None:
        return []
    authors: list[str | Author] = []
    for author in author_list.iterfind("Author"):
        collective = _all_text(author.find("CollectiveName"))
        if collective is not None:
            authors.append(Author(collective))
        else:
            given = _find_text(author, "ForeName") or _find_text(author, "Initials")
            authors.append(Author(_find_text(author, "LastName") or "", given))
    return authors


def _abstract(abstract: Any) -> str | None:
    if abstract is None:
        return None
    parts = []
    for part in abstract.iterfind("AbstractText"):
        text = _all_text(part)
        if text is None:
            continue
        label = part.get("Label")
        parts.append(f"{label}: {text.strip()}" if label else text.strip())
    return " ".join(parts) or None


def _article_id(id_list: Any, kind: str) -> str | None:
    if id_list is None:
        return None
    for article_id in id_list.iterfind("ArticleId"):
        if article_id.get("IdType") == kind and article_id.text and article_id.text.strip():
            return str(article_id.text)
    return None


def _elocation_doi(article: Any) -> str | None:
    for location in article.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and location.text and location.text.strip():
            return str(location.text)
    return None


def _journal_article(element: Any, index: int, line: int | None) -> RawCitation | UnreadableRecord:
    citation = element.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    if article is None:
        return UnreadableRecord(index, "PubmedArticle has no MedlineCitation/Article", line=line)
    issue = article.find("Journal/JournalIssue")
    pub_date = issue.find("PubDate") if issue is not None else None
    pagination = article.find("Pagination")
    ids = element.find("PubmedData/ArticleIdList")
    return RawCitation(
        title=_all_text(article.find("ArticleTitle")) or _all_text(article.find("VernacularTitle")),
        authors=_authors(article.find("AuthorList")),
        year=(
            (_find_text(pub_date, "Year") or _find_text(pub_date, "MedlineDate"))
            if pub_date is not None
            else None
        ),
        journal=_find_text(article, "Journal/Title")
        or _find_text(article, "Journal/ISOAbbreviation"),
        volume=_find_text(issue, "Volume") if issue is not None else None,
        issue=_find_text(issue, "Issue") if issue is not None else None,
        start_page=_find_text(pagination, "StartPage") if pagination is not None else None,
        end_page=_find_text(pagination, "EndPage") if pagination is not None else None,
        pages=_find_text(pagination, "MedlinePgn") if pagination is not None else None,
        doi=_elocation_doi(article) or _article_id(ids, "doi"),
        pmid=_find_text(citation, "PMID"),
        pmcid=_article_id(ids, "pmc"),
        abstract=_abstract(article.find("Abstract")),
        index=index,
        line=line,
    )


def _book_article(element: Any, index: int, line: int | None) -> RawCitation | UnreadableRecord:
    document = element.find("BookDocument")
    if document is None:
        return UnreadableRecord(index, "PubmedBookArticle has no BookDocument", line=line)
    ids = document.find("ArticleIdList")
    return RawCitation(
        title=_all_text(document.find("ArticleTitle"))
        or _all_text(document.find("Book/BookTitle")),
        authors=_authors(document.find("AuthorList")) or _authors(document.find("Book/AuthorList")),
        year=_find_text(document, "Book/PubDate/Year")
        or _find_text(document, "Book/PubDate/MedlineDate"),
        doi=_article_id(ids, "doi")
        or _article_id(element.find("PubmedBookData/ArticleIdList"), "doi"),
        pmid=_find_text(document, "PMID"),
        abstract=_abstract(document.find("Abstract")),
        index=index,
        line=line,
    )


def _release(element: Any) -> None:
    """Drop a read record and the records before it, keeping memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def read(text: ReferenceText) -> Iterator[RawCitation | UnreadableRecord]:
    parser = _parser()
    checked = False
    index = 0
    head = ""  # the first chunk: where a DTD and its entity declarations would be
    try:
        for number, chunk in enumerate(chunks(text, _CHUNK)):
            head = head or chunk
            offset = number * _CHUNK
            parser.feed(chunk)
            for event, element in parser.read_events():
                if not checked:
                    _refuse_entities(element, head)
                    checked = True
                if event != "end" or element.tag not in _ARTICLES:
                    continue
                if element.tag == "PubmedArticle":
                    yield _journal_article(element, index, element.sourceline)
                else:
                    yield _book_article(element, index, element.sourceline)
                index += 1
                _release(element)
            if not checked and offset + _CHUNK >= _ROOT_WITHIN:
                raise UnreadableFile("not PubMed XML: no <PubmedArticleSet> element at its start")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        # libxml2's own guard against entity expansion in attribute values, which it expands
        # even when told not to substitute entities; such a file is refused as unsafe.
        if "amplification" in exc.msg or "entity reference loop" in exc.msg.lower():
            raise UnreadableFile(f"unsafe XML: {exc.msg}", line=_entity_line(head)) from None
        raise UnreadableFile(f"not well-formed XML: {exc.msg}", line=exc.lineno) from None
    if not checked:
        _refuse_entities(root, head)
        raise UnreadableFile(
            f"not PubMed XML: the root element is <{root.tag}>, not <PubmedArticleSet>",
            line=root.sourceline,
        )
