"""Reading the dashboards' HTML in tests: the links behind numbers, the rows of a list."""

from __future__ import annotations

import html
import re


def tile(body: str, key: str) -> tuple[str, str]:
    """A tile's number and the address it links to ("" when it links nowhere)."""
    found = re.search(
        rf'data-testid="tile-{key}">.*?<p class="fs-4 fw-semibold mb-0">(.*?)</p>', body, re.S
    )
    assert found, key
    inner = found.group(1)
    link = re.search(r'<a href="([^"]+)"[^>]*>([^<]*)', inner)
    if link:
        return link.group(2).strip(), html.unescape(link.group(1))
    return inner.strip(), ""


def table_rows(body: str, testid: str) -> list[list[str]]:
    """A table's body rows: each cell's text (a link's text, without its tags)."""
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?<tbody>(.*?)</tbody>', body, re.S)
    assert table, testid
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def cell_link(body: str, testid: str, row_heads: list[str], column: int) -> str:
    """The address behind the number in the row whose headers are ``row_heads``, in the
    ``column``-th number column (0 first)."""
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?<tbody>(.*?)</tbody>', body, re.S)
    assert table, testid
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        heads = [html.unescape(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", row, re.S)]
        if heads == row_heads:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            link = re.search(r'href="([^"]+)"', cells[column])
            assert link, (row_heads, column, cells[column])
            return html.unescape(link.group(1))
    raise AssertionError(f"no row {row_heads} in {testid}")


def references(body: str) -> set[str]:
    """The tickets a queue page lists."""
    return set(re.findall(r'data-testid="ticket-row" data-reference="([^"]+)"', body))
