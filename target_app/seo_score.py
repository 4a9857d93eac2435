"""CPU-bound SEO scoring of a page text: readability (Flesch), keyword density, heading structure.

Pure Python on purpose: it runs on the event loop and makes a replica CPU-bound under load.
``SEO_CPU_WORK`` scales the work (the analysis is repeated ``max(1, round(4 * SEO_CPU_WORK))`` times).
"""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_SENTENCE = re.compile(r"[.!?]+")
_VOWELS = re.compile(r"[aeiouy]+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+\S", re.MULTILINE)
_HTML_HEADING = re.compile(r"<h([1-6])\b", re.IGNORECASE)


def _syllables(word: str) -> int:
    w = word.lower()
    n = len(_VOWELS.findall(w))
    if w.endswith("e") and n > 1:
        n -= 1
    return max(1, n)


def _score_once(text: str, keywords: list[str]) -> dict[str, Any]:
    words = _WORD.findall(text)
    n_words = max(1, len(words))
    sentences = max(1, len([s for s in _SENTENCE.split(text) if s.strip()]))
    syllables = sum(_syllables(w) for w in words)
    readability = 206.835 - 1.015 * (n_words / sentences) - 84.6 * (syllables / n_words)
    lowered = " ".join(w.lower() for w in words)
    density = {
        k: round(100.0 * lowered.count(k.lower()) * max(1, len(k.split())) / n_words, 2) for k in keywords
    }
    headings = {f"h{i}": 0 for i in range(1, 7)}
    for m in _MD_HEADING.finditer(text):
        headings[f"h{len(m.group(1))}"] += 1
    for m in _HTML_HEADING.finditer(text):
        headings[f"h{m.group(1)}"] += 1
    issues: list[str] = []
    if headings["h1"] == 0:
        issues.append("no H1 heading")
    elif headings["h1"] > 1:
        issues.append("more than one H1 heading")
    if headings["h2"] == 0:
        issues.append("no H2 subheadings")
    if len(words) < 300:
        issues.append("thin content (under 300 words)")
    if readability < 50:
        issues.append("hard to read (Flesch reading ease under 50)")
    for k, d in density.items():
        if d == 0:
            issues.append(f"keyword '{k}' not used")
        elif d > 3.0:
            issues.append(f"keyword '{k}' overused ({d}%)")
    score = max(0.0, 100.0 - 12.0 * len(issues))
    return {
        "score": round(score, 1),
        "readability": round(max(0.0, min(100.0, readability)), 1),
        "keyword_density": density,
        "headings": headings,
        "issues": issues,
        "word_count": len(words),
    }


def analyze_text(text: str, keywords: list[str], work: float) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for _ in range(max(1, round(4 * work))):
        result = _score_once(text, keywords)
    return result
