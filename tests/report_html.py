"""The rendered report read back as a tree of elements (standard library ``html.parser``), for tests.

Tests ask for elements by tag and attributes and read their text as a person would (character
references decoded), instead of matching the markup with regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that never have content or an end tag in HTML.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list, repr=False)

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def __contains__(self, name: str) -> bool:
        return name in self.attrs

    @property
    def elements(self) -> list[Element]:
        """The elements directly inside this one."""
        return [c for c in self.children if isinstance(c, Element)]

    @property
    def classes(self) -> list[str]:
        return (self.get("class") or "").split()

    def iter(self) -> Iterator[Element]:
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Elements inside this one (or itself) with the tag and attributes asked for: ``data_kpi=True``
        asks for a ``data-kpi`` attribute, ``data_kpi="spend_total"`` for that value, ``class_="card"``
        for that class among others."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [e for e in self.iter() if (tag is None or e.tag == tag) and e._has(wanted)]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element:
        """The one element asked for (an error when there is none, or more than one)."""
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag or '*'} {attrs}> elements"
        return found[0]

    def _has(self, wanted: dict[str, str | bool]) -> bool:
        for name, value in wanted.items():
            if name not in self.attrs:
                return False
            if name == "class" and isinstance(value, str):
                if value not in self.classes:
                    return False
            elif value is not True and self.attrs[name] != value:
                return False
        return True

    @property
    def text(self) -> str:
        """The text inside the element, as a reader sees it (character references decoded)."""
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def without(self, unwanted: Callable[[Element], bool]) -> Element:
        """A copy of the tree without the elements ``unwanted`` picks (and what is inside them)."""
        kept = [c if isinstance(c, str) else c.without(unwanted) for c in self.children]
        return Element(self.tag, dict(self.attrs), [c for c in kept if isinstance(c, str) or not unwanted(c)])

    def outline(self) -> tuple[object, ...]:
        """The tree as plain values (tags, attributes, text with runs of white space as one space), to
        compare two pages or parts of them as a browser would show them."""
        children = tuple(
            c.outline() if isinstance(c, Element) else squeeze(c)
            for c in self.children
            if not str(c).isspace()
        )
        return (self.tag, tuple(sorted(self.attrs.items())), children)

    def readable(self) -> str:
        """Everything a reader or a scraper can read from the element: its text, tooltips (``title``)
        and ``data-*``/``aria-*`` attributes; chart geometry (coordinates) is left out."""
        parts: list[str] = []
        for element in self.iter():
            parts.extend(
                v
                for k, v in element.attrs.items()
                if v and (k.startswith(("data-", "aria-")) or k == "title")
            )
            parts.extend(c for c in element.children if isinstance(c, str))
        return " ".join(parts)

    def numbers(self) -> set[float]:
        """The numbers written anywhere a reader can read in the element ("£4,271.60" -> 4271.6)."""
        return {float(n.replace(",", "")) for n in NUMBER.findall(self.readable())}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, 0, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def parse(html: str) -> Element:
    """The page as a tree; its root holds the ``<!DOCTYPE>``-less document."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def squeeze(text: str) -> str:
    """Runs of white space as one space, as a browser shows them."""
    return " ".join(text.split())
