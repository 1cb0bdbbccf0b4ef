"""Phone classes shared across the corpus's languages: every language's festival phones named by the nearest English
(radio/CMU) phone, so that one sound is one class whatever language the voice speaks.

Why: with a class set per language the content encoder has to decide the language before it can name a phone, and
it decides it from the voice. With one real English training person (kal, a man), it named 58 % of the speech frames
of an unseen real English woman (fest_slt) with Czech, Italian or Catalan phones, against 2 % for an unseen real
English man (fest_ked); frame accuracy 0.16 against 0.40 (docs/training-results.md, session 12).

The tables follow each voice's phone set as festival's front end names it (cs: czech, fi: suopuhe, it: italian
diphone, ca: upc, ru: msu, hi/mr/te: the NSK Indic diphone sets). Long vowels and geminates lose their length,
retroflex and dental stops become the English alveolar ones, aspiration is dropped; /ts/ keeps a class of its own
(English has none). English names, and names a table does not list, pass unchanged."""

from __future__ import annotations

PAUSE = "pau"

_VOWELS = {"a": "aa", "a:": "aa", "a1": "aa", "e": "eh", "e:": "eh", "e1": "eh", "E1": "eh", "i": "iy", "i:": "iy",
           "i1": "iy", "o": "ao", "o:": "ao", "o1": "ao", "O1": "ao", "u": "uw", "u:": "uw", "u1": "uw"}
_CONSONANTS = {"j": "y", "h": "hh", "L": "l", "S": "sh", "Z": "zh", "tS": "ch", "dZ": "jh", "N": "ng", "_": PAUSE}

SHARED: dict[str, dict[str, str]] = {
    "cs": {**_VOWELS, **_CONSONANTS, "c": "ts", "ch": "hh", "c~": "ch", "d~": "jh", "t~": "ch", "n~": "n",
           "n*": "ng", "r~": "zh", "r~*": "sh", "s~": "sh", "z~": "zh"},
    "fi": {**_VOWELS, **_CONSONANTS, "@": "ae", "@:": "ae", "7": "er", "y": "uw", "y:": "uw", "k:": "k", "l:": "l",
           "m:": "m", "n:": "n", "p:": "p", "s:": "s", "t:": "t"},
    "it": {**_VOWELS, **_CONSONANTS, "dz": "z"},
    "ca": {**_VOWELS, **_CONSONANTS, "rr": "r"},
    "ru": {**_VOWELS, **_CONSONANTS, "aa": "aa", "ae": "eh", "ay": "ay", "ee": "eh", "ii": "iy", "oo": "ao",
           "uu": "uw", "ur": "uw", "y": "ih", "yy": "ih", "c": "ts", "ch": "ch", "dd": "d", "gg": "g", "kk": "k",
           "ll": "l", "mm": "m", "nn": "n", "pp": "p", "rr": "r", "ss": "s", "tt": "t", "vv": "v", "zz": "z"},
}
# The NSK Indic sets share their names: a = short /ə/, aa = long /a:/, eh = /e:/, oh = /o:/; T/D/N/L retroflex,
# th/dh dental, tth/ddh aspirated retroflex, kh/bh aspirated, j = /dʒ/.
_INDIC = {**_CONSONANTS, "a": "ax", "eh": "ey", "oh": "ow", "ee": "ey", "oo": "ow", "T": "t", "D": "d", "N": "n",
          "th": "t", "dh": "d", "tth": "t", "ddh": "d", "kh": "k", "bh": "b", "j": "jh"}
SHARED.update({"hi": _INDIC, "mr": _INDIC, "te": _INDIC})


def shared_phone(language: str, phone: str) -> str:
    """The shared class name of `phone` spoken in `language`."""
    return SHARED.get(language, {}).get(phone, phone)


def shared_phones(phones: list, language: str) -> list:
    """(phone, start_s, end_s) items of one utterance with their shared names."""
    return [(shared_phone(language, p), a, b) for p, a, b in phones]
