"""jieba's ``cut_for_search`` (HMM on), the same words in the same order, about 4× faster on names.

jieba spends most of a short text's time in generator layers and in its HMM's dictionaries of paths, not in
the dictionary look-ups; names are mostly distinct in a register, so caching cannot hide it. This is
jieba 0.42's algorithm (``Tokenizer.get_DAG``/``calc``/``__cut_DAG``, ``finalseg.viterbi``) on jieba's own
dictionary and HMM tables, with the same arithmetic and the same tie-breaking; anything it does not cover
(text outside one of jieba's blocks, HMM input with non-Han characters, forced splits) goes to jieba itself.
``tests/registry/test_wordcut.py`` compares both on generated names, addresses and random text.
"""

from __future__ import annotations

import re
from functools import cache
from math import log
from typing import Any

MIN_FLOAT = -3.14e100
# jieba's re_han_default; finalseg's re_han and re_skip.
BLOCK = re.compile("[\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]+")
HMM_HAN = re.compile("[\u4e00-\u9fd5]+")
HMM_HAN_SPLIT = re.compile("([\u4e00-\u9fd5]+)")
HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
STATE_INDEX = {"B": 0, "M": 1, "E": 2, "S": 3}


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)  # it logs its dictionary loading at INFO
    jieba.dt.check_initialized()
    return jieba


@cache
def _hmm_tables() -> tuple[Any, ...]:
    from jieba.finalseg import emit_P, start_P, trans_P

    def trans(a: str, b: str) -> float:
        return float(trans_P[a].get(b, MIN_FLOAT))

    return (
        *(emit_P[s] for s in "BMES"),
        *(start_P[s] for s in "BMES"),
        *(trans(a, b) for a, b in ("EB", "SB", "MM", "BM", "SS", "ES", "BE", "ME")),
    )


def _hmm(text: str) -> list[str]:
    """``finalseg.cut`` of a run of single characters jieba's dictionary does not know."""
    finalseg = _jieba().finalseg
    if finalseg.Force_Split_Words:
        return list(finalseg.cut(text))
    if HMM_HAN.fullmatch(text):
        return _viterbi(text)
    out: list[str] = []
    for block in HMM_HAN_SPLIT.split(text):
        if HMM_HAN.match(block):
            out.extend(_viterbi(block))
        else:
            out.extend(x for x in HMM_SKIP.split(block) if x)
    return out


def _viterbi(text: str) -> list[str]:
    """``finalseg.__cut``: the HMM's likeliest B(egin)/M(iddle)/E(nd)/S(ingle) tags, words by them."""
    eB, eM, eE, eS, sB, sM, sE, sS, tEB, tSB, tMM, tBM, tSS, tES, tBE, tME = _hmm_tables()
    c = text[0]
    vB, vM, vE, vS = sB + eB.get(c, MIN_FLOAT), sM + eM.get(c, MIN_FLOAT), sE + eE.get(c, MIN_FLOAT), sS + eS.get(c, MIN_FLOAT)  # noqa: E501  # fmt: skip
    back: list[tuple[str, str, str, str]] = []  # each step's best predecessor of B, M, E, S
    # jieba takes max() of (probability, state) pairs: on equal probabilities the later letter wins.
    for c in text[1:]:
        e = eB.get(c, MIN_FLOAT)
        a, b = vE + tEB + e, vS + tSB + e
        nB, fB = (a, "E") if a > b else (b, "S")
        e = eM.get(c, MIN_FLOAT)
        a, b = vM + tMM + e, vB + tBM + e
        nM, fM = (a, "M") if a >= b else (b, "B")
        e = eS.get(c, MIN_FLOAT)
        a, b = vS + tSS + e, vE + tES + e
        nS, fS = (a, "S") if a >= b else (b, "E")
        e = eE.get(c, MIN_FLOAT)
        a, b = vB + tBE + e, vM + tME + e
        nE, fE = (a, "B") if a > b else (b, "M")
        back.append((fB, fM, fE, fS))
        vB, vM, vE, vS = nB, nM, nE, nS
    state = "E" if vE > vS else "S"
    path = [state]
    for step in reversed(back):
        state = step[STATE_INDEX[state]]
        path.append(state)
    path.reverse()
    out: list[str] = []
    begin = nexti = 0
    for i, pos in enumerate(path):
        if pos == "B":
            begin = i
        elif pos == "E":
            out.append(text[begin : i + 1])
            nexti = i + 1
        elif pos == "S":
            out.append(text[i])
            nexti = i + 1
    if nexti < len(text):
        out.append(text[nexti:])
    return out


def _cut_block(block: str, freq: dict[str, int], logtotal: float) -> list[str]:
    """``Tokenizer.__cut_DAG``: the likeliest path through the dictionary's words, unknown runs to the HMM."""
    n = len(block)
    route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
    for idx in range(n - 1, -1, -1):
        best: tuple[float, int] | None = None
        i, frag = idx, block[idx]
        while i < n and frag in freq:
            f = freq[frag]
            if f:
                candidate = (log(f) - logtotal + route[i + 1][0], i)
                if best is None or candidate > best:
                    best = candidate
            i += 1
            frag = block[idx : i + 1]
        route[idx] = best if best is not None else (log(1) - logtotal + route[idx + 1][0], idx)
    out: list[str] = []
    x, buf = 0, ""
    while x <= n:
        y = route[x][1] + 1 if x < n else n + 1
        if x < n and y - x == 1:
            buf += block[x]
        else:
            if len(buf) == 1:
                out.append(buf)
            elif buf:
                out.extend(buf if freq.get(buf) else _hmm(buf))
            buf = ""
            if x < n:
                out.append(block[x:y])
        x = y
    return out


def cut_for_search(text: str) -> list[str]:
    """``jieba.cut_for_search(text)`` as a list."""
    dt = _jieba().dt
    if not BLOCK.fullmatch(text):
        return list(dt.cut_for_search(text))
    dt.check_initialized()  # again after a jieba.set_dictionary()
    freq = dt.FREQ
    result: list[str] = []
    for word in _cut_block(text, freq, log(dt.total)):
        size = len(word)
        if size > 2:
            result.extend(g for g in (word[i : i + 2] for i in range(size - 1)) if freq.get(g))
        if size > 3:
            result.extend(g for g in (word[i : i + 3] for i in range(size - 2)) if freq.get(g))
        result.append(word)
    return result
