"""Ordering names the way readers of English and Japanese expect, without ICU.

Names are compared after NFKC normalisation (full-width Latin letters and half-width katakana
become their usual forms), case folding (``apple`` next to ``Apple``, not after ``Zebra``), and
with katakana folded to hiragana, so ``アプリ`` and ``あぷり`` sort together in gojūon order. Kanji
are ordered by code point: their reading is not known without a dictionary.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

# Katakana ァ (U+30A1) to ヶ (U+30F6) lie 0x60 above the hiragana ぁ (U+3041) to ゖ (U+3096).
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def name_sort_key(name: str) -> tuple[str, str]:
    """Return the sort key of ``name``; ties are broken by the name itself, so order is total."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_KATAKANA_TO_HIRAGANA)
    return (folded, name)


def sorted_by_name[T](items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:
    """Return ``items`` ordered by :func:`name_sort_key` of ``name(item)``."""
    return sorted(items, key=lambda item: name_sort_key(name(item)))
