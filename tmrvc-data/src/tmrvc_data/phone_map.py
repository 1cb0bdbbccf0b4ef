"""espeak-ng's English phonemes named in festival's English phone set (the radio/CMU set that festival's and flite's
English voices speak), so that every English voice of a corpus teaches the same phone classes.

Without it the espeak variants (25 voices, men and women) teach `espeak:` classes and the one real English training
person teaches `festival:` classes: a held-out real English voice is then scored on classes that a single male
speaker taught (frame phone accuracy 0.16 on fest_slt, docs/training-results.md, session 11).

The table was drawn up from the phonemes espeak-ng (en-us) emits for the corpus sentences, checked against what
festival's kal and flite's kal say for the same words. A diphthong with an r-colouring (espeak `A@`, `O@`, ...) is
two festival phones: the espeak segment is split into equal parts. espeak's `;` (the glide it inserts after a final
`i` before a vowel) is part of the phone before it, as festival labels it."""

from __future__ import annotations

Phones = list[tuple[str, float, float]]

_JOIN_PREVIOUS = ""

ESPEAK_TO_FESTIVAL: dict[str, tuple[str, ...]] = {
    # pauses
    "_": ("pau",), "_:": ("pau",), "_!": ("pau",), "_^_": ("pau",),
    # vowels
    "0": ("aa",), "A:": ("aa",), "A@": ("aa", "r"), "aa": ("ae",), "a": ("ae",), "a#": ("ax",),
    "@": ("ax",), "@2": ("ax",), "@5": ("ax",), "@L": ("ax", "l"), "3": ("er",), "3:": ("er",),
    "E": ("eh",), "e@": ("eh", "r"), "eI": ("ey",), "I": ("ih",), "I#": ("ih",), "I2": ("ih",),
    "i": ("iy",), "i:": ("iy",), "i@": ("iy", "r"), "i@3": ("iy", "r"), "O2": ("ao",), "O:": ("ao",),
    "O@": ("ao", "r"), "o@": ("ao", "r"), "OI": ("oy",), "oU": ("ow",), "U": ("uh",), "U@": ("uh", "r"),
    "u:": ("uw",), "V": ("ah",), "aI": ("ay",), "aI@": ("ay", "ax"), "aI3": ("ay", "er"), "aU": ("aw",),
    "aU@": ("aw", "er"),
    # consonants
    "b": ("b",), "d": ("d",), "D": ("dh",), "dZ": ("jh",), "f": ("f",), "g": ("g",), "h": ("hh",),
    "j": ("y",), "k": ("k",), "l": ("l",), "m": ("m",), "n": ("n",), "n-": ("ax", "n"), "N": ("ng",),
    "p": ("p",), "r": ("r",), "r-": ("r",), "s": ("s",), "S": ("sh",), "t": ("t",), "t#": ("t",),
    "t2": ("t",), "?": ("t",), "tS": ("ch",), "T": ("th",), "v": ("v",), "w": ("w",), "z": ("z",),
    "Z": ("zh",),
    # the linking glide after a final i
    ";": (_JOIN_PREVIOUS,),
}


def espeak_to_festival(phones: Phones) -> Phones:
    """espeak-ng English (phone, start_s, end_s) → the same stretch in festival's English phones.
    Unknown espeak phonemes raise ValueError naming them (extend ESPEAK_TO_FESTIVAL)."""
    unknown = sorted({p for p, _, _ in phones if p not in ESPEAK_TO_FESTIVAL})
    if unknown:
        raise ValueError(f"espeak phonemes {unknown} have no festival name; add them to ESPEAK_TO_FESTIVAL")
    out: Phones = []
    for p, a, b in phones:
        names = ESPEAK_TO_FESTIVAL[p]
        if names == (_JOIN_PREVIOUS,):
            if out:
                q, qa, _ = out[-1]
                out[-1] = (q, qa, b)
            continue
        step = (b - a) / len(names)
        out += [(name, a + i * step, a + (i + 1) * step) for i, name in enumerate(names)]
    return out
