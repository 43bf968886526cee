"""Folios: the page number printed on each page, and the PDF page labels that match them.

Contract: ``PageLabels.article(pages)`` numbers every page 1, 2, 3…;
``PageLabels.book(pages, front=…, main=…)`` gives a book's scheme: pages before ``front``
(the cover) are labelled ``Cover`` and print no folio, pages from ``front`` up to ``main``
count in lower roman from i (title and copyright pages count but print nothing, blank
pages count), pages from ``main`` count in arabic from 1. ``label(n)`` is the label of the
1-based page ``n``; ``ranges`` is what ``/PageLabels`` stores. The contents check
(``writers/pdf.verify_toc``), the PDF post-processor and the tests all use this one
scheme, which is the one the book stylesheet prints (``themes/base/css/book.css``).

No imports from the package.
"""

from __future__ import annotations

from dataclasses import dataclass

_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


COVER = "Cover"


@dataclass(frozen=True, slots=True)
class PageLabels:
    pages: int
    # (first page index 0-based, style "r"/"D"/"" , prefix, first number)
    ranges: tuple[tuple[int, str, str, int], ...]

    @classmethod
    def article(cls, pages: int) -> PageLabels:
        return cls(pages, ((0, "D", "", 1),))

    @classmethod
    def book(cls, pages: int, *, front: int, main: int) -> PageLabels:
        """``front`` and ``main`` are 1-based pages where the roman and the arabic
        sequences start (``front`` > 1 when a cover comes first)."""
        ranges: list[tuple[int, str, str, int]] = []
        if front > 1:
            ranges.append((0, "", COVER, 1))
        if main > front:
            ranges.append((front - 1, "r", "", 1))
        ranges.append((main - 1, "D", "", 1))
        return cls(pages, tuple(ranges))

    def label(self, page: int) -> str:
        """The label of the 1-based ``page``."""
        index = page - 1
        current = self.ranges[0]
        for entry in self.ranges:
            if entry[0] <= index:
                current = entry
        start, style, prefix, first = current
        number = first + index - start
        if style == "r":
            return prefix + roman(number)
        if style == "D":
            return prefix + str(number)
        return prefix

    def labels(self) -> list[str]:
        return [self.label(n) for n in range(1, self.pages + 1)]
