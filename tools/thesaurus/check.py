#!/usr/bin/env python3
"""Checks data/lang/thesaurus-fr.toml against the rules its loader and reviewers rely on.

- the file parses; each entry has a term, a source and exactly one of type, category, closest
  (closest: 1 to 3 slugs); no unknown keys;
- `type` is a [[type]] label of data/lang/intent-fr.toml, `category` and `closest` are slugs of
  the store's category tree; every product type the store sells (and every [[type]] of
  intent-fr.toml) is the type of an entry;
- words (term, synonyms, narrower, english, phrases) use letters, spaces, hyphens and
  apostrophes only, 6 words at most;
- no word is read as two meanings: compared as the engine reads them (lower case, accents
  folded, and again with stop words dropped and plural/feminine forms stemmed), across entries
  and against the intent lexicon's phrases (the intent lexicon's meaning would win, the
  thesaurus's would make the phrase ambiguous);
- no single word whose main sense is another ("table", "lit", "bois"...) is a whole word;
- `narrower` holds no other sold type's label;
- warnings (not errors): an attribute word (colour, material, style) inside a type's phrase
  (the phrase would swallow the attribute), a catalog model name used as a word, duplicates
  inside an entry.

Usage: python3 tools/thesaurus/check.py [thesaurus.toml]   (exit status 1 on errors)
Python 3.11+, standard library only.
"""

import os
import re
import sys
import tomllib
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LANG = os.path.join(ROOT, "data", "lang")

SLUGS = {
    "luminaires": None, "lampes-de-chevet": "luminaires", "lampes-a-poser": "luminaires",
    "lampadaires": "luminaires", "suspensions": "luminaires", "appliques": "luminaires",
    "guirlandes": "luminaires",
    "mobilier": None, "canapes": "mobilier", "fauteuils": "mobilier", "tables": "mobilier",
    "chaises": "mobilier", "lits": "mobilier", "bureaux": "mobilier",
    "decoration": None, "miroirs": "decoration", "vases": "decoration", "bougies": "decoration",
    "cadres": "decoration", "horloges": "decoration", "plantes-artificielles": "decoration",
    "textile": None, "coussins": "textile", "plaids": "textile", "tapis": "textile",
    "rideaux": "textile", "linge-de-lit": "textile", "linge-de-bain": "textile",
    "rangement": None, "etageres": "rangement", "paniers": "rangement", "commodes": "rangement",
    "buffets": "rangement", "portemanteaux": "rangement", "armoires": "rangement",
}

# The 50 product types of the catalog, as intent-fr.toml labels them (the catalog's
# "horloge murale" and "étagère murale" are the lexicon's "horloge" and "étagère").
SOLD_TYPES = """lampe de chevet|lampe à poser|lampe de bureau|lampadaire|suspension|lustre|
applique murale|guirlande lumineuse|canapé|canapé d'angle|canapé convertible|fauteuil|pouf|
table basse|table à manger|table d'appoint|console|chaise|tabouret de bar|banc|lit|tête de lit|
bureau|miroir|vase|cache-pot|bougie parfumée|bougeoir|cadre photo|affiche|horloge|
plante artificielle|coussin|plaid|tapis|rideau|housse de couette|drap housse|taie d'oreiller|
serviette de bain|tapis de bain|étagère|bibliothèque|panier|boîte de rangement|commode|buffet|
meuble tv|portemanteau|armoire"""
SOLD_TYPES = [t.strip() for t in SOLD_TYPES.replace("\n", "").split("|")]

# Single words whose main sense in the catalog is another one: never a whole word.
FORBIDDEN_ALONE = ["table", "bois", "lit", "lampe", "meuble", "pied", "salon", "chambre", "noir",
                   "bar", "fleur", "mural", "murale"]

WORD_FIELDS = ["synonyms", "narrower", "english", "phrases"]
KEYS = {"term", "type", "category", "closest", "synonyms", "narrower", "broader", "english",
        "phrases", "source"}
ALLOWED = re.compile(r"^[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*$")


def lines(name):
    with open(os.path.join(LANG, name), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def fold(s):
    s = s.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


STOP = set(lines("stopwords-fr.txt"))
PLURALS = {fold(a): fold(b) for a, b in (l.split("\t") for l in lines("plurals-fr.tsv"))}
FEMININES = {fold(a): fold(b) for a, b in (l.split("\t") for l in lines("feminines-fr.tsv"))}
INVARIANTS = {fold(l) for l in lines("invariants-fr.txt")}
ENDINGS = [("eille", "eil"), ("euse", "eux"), ("enne", "en"), ("elle", "el"), ("onne", "on"),
           ("ette", "et"), ("ere", "er"), ("ive", "if"), ("ee", ""), ("ie", "i"), ("ue", "u")]


def stem(w):
    """Mirrors core/src/text/stem.rs: plural and feminine forms to one key."""
    if len(w) <= 3 or any(c.isdigit() for c in w):
        return w
    if w in PLURALS:
        w = PLURALS[w]
    elif w not in INVARIANTS:
        if w.endswith("eaux"):
            w = w[:-1]
        elif w.endswith("aux"):
            w = w[:-3] + "al"
        elif w.endswith("s") and not (w.endswith("ss") or w.endswith("is")):
            w = w[:-1]
    if w in FEMININES:
        return FEMININES[w]
    for end, rep in ENDINGS:
        if w.endswith(end) and len(w) - len(end) >= 2:
            return w[: -len(end)] + rep
    if w.endswith("e") and len(w) >= 4 and w[-2] not in "aeiouy":
        return w[:-1]
    return w


def tokens(text):
    """(norm, stop) per word, as core/src/search/intent/scan.rs reads a phrase."""
    out = []
    for m in re.finditer(r"[^\W_]+(['’](?=[^\W_]))?", text):
        raw = m.group(0)
        elided = raw[-1] in "'’"
        word = raw.rstrip("'’").lower()
        stop = elided or len(word) == 1 or word in STOP
        out.append((fold(word), stop))
    return out


def keys(text):
    toks = tokens(text)
    exact = tuple(n for n, _ in toks)
    # Stop words and elisions are skippable; single letters stay ("canapé en l", "en u").
    loose = tuple(stem(n) for n, s in toks if not s or (len(n) == 1 and n not in STOP)) or exact
    return exact, loose


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(LANG, "thesaurus-fr.toml")
    errors, warnings = [], []
    with open(path, "rb") as f:
        data = tomllib.load(f)
    with open(os.path.join(LANG, "intent-fr.toml"), "rb") as f:
        intent = tomllib.load(f)
    labels = {t["label"]: t for t in intent["type"]}
    for t in SOLD_TYPES:
        if t not in labels:
            errors.append(f"sold type {t!r} is not an intent-fr.toml label")

    # Intent meanings, to compare with.
    intent_words = {}  # key -> set of meanings

    def add_intent(phrase, meaning):
        for k in keys(phrase):
            intent_words.setdefault(k, set()).add(meaning)

    for c in intent.get("category", []):
        for p in c["phrases"]:
            add_intent(p, ("category", c["slug"]))
    for t in intent["type"]:
        for p in t["phrases"]:
            add_intent(p, ("type", t["label"]))
    attribute_words = {}
    for section in ("color", "material", "style", "room"):
        for a in intent.get(section, []):
            for p in a["phrases"]:
                add_intent(p, (section, a["values"][0]))
                if section != "room":
                    attribute_words[keys(p)[1]] = section
    for b in intent.get("band", []):
        for p in b["phrases"]:
            add_intent(p, ("band", b["name"]))
    for name, words in list(intent.get("size", {}).items()) + list(intent.get("availability", {}).items()):
        for p in words:
            add_intent(p, ("size", name))
            if name in ("small", "large"):
                attribute_words[keys(p)[1]] = "size"
    for name, words in intent.get("price", {}).items():
        for p in words if isinstance(words, list) else []:
            add_intent(p, ("price", name))

    def same(m_thes, m_intent):
        # Strict: the engine keeps a type and a category of the same slug as two meanings.
        return m_thes == m_intent

    entries = data.get("entry", [])
    seen = {}  # key -> (meaning, term, word)
    covered = set()
    kinds = {"type": 0, "category": 0, "unsold": 0}
    n_phrases = 0
    models = set()
    gen = os.path.join(ROOT, "tools", "gen_catalog.py")
    if os.path.exists(gen):
        m = re.search(r'MODELS = """(.*?)"""', open(gen, encoding="utf-8").read(), re.S)
        if m:
            models = {fold(w.lower()) for w in m.group(1).split()}
            models |= {stem(w) for w in models}
    forbidden = {keys(w)[1] for w in FORBIDDEN_ALONE}

    for e in entries:
        term = e.get("term", "?")
        where = f"entry {term!r}"
        unknown = set(e) - KEYS
        if unknown:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        if "source" not in e or not e["source"].strip():
            errors.append(f"{where}: no source")
        given = [k for k in ("type", "category", "closest") if k in e]
        if len(given) != 1:
            errors.append(f"{where}: give exactly one of type, category, closest (has {given})")
            continue
        if "type" in e:
            if e["type"] not in labels:
                errors.append(f"{where}: unknown type {e['type']!r}")
            meaning = ("type", e["type"])
            covered.add(e["type"])
            kinds["type"] += 1
        elif "category" in e:
            if e["category"] not in SLUGS:
                errors.append(f"{where}: unknown category {e['category']!r}")
            meaning = ("category", e["category"])
            kinds["category"] += 1
        else:
            c = e["closest"]
            if not (1 <= len(c) <= 3) or len(set(c)) != len(c):
                errors.append(f"{where}: closest must hold 1 to 3 distinct slugs")
            for s in c:
                if s not in SLUGS:
                    errors.append(f"{where}: unknown slug {s!r} in closest")
            meaning = ("unsold", term)
            kinds["unsold"] += 1
        for field in KEYS - {"term", "type", "category", "source"}:
            if field in e and not isinstance(e[field], list):
                errors.append(f"{where}: {field} must be a list")
        words = [("term", term)] + [(f, w) for f in WORD_FIELDS for w in e.get(f, [])]
        n_phrases += len(e.get("phrases", []))
        local = set()
        for field, w in words:
            if not isinstance(w, str) or not ALLOWED.match(w):
                errors.append(f"{where}: {field} {w!r}: only letters, spaces, hyphens, apostrophes")
                continue
            if w != w.strip() or "  " in w:
                errors.append(f"{where}: {field} {w!r}: stray spaces")
            if len(re.split(r"[\s-]+", w)) > 6:
                errors.append(f"{where}: {field} {w!r}: more than 6 words")
            exact, loose = keys(w)
            if exact in local:
                warnings.append(f"{where}: {w!r} twice in the entry")
            local.add(exact)
            if loose in forbidden or exact in forbidden:
                errors.append(f"{where}: {w!r} alone means something else in the catalog")
            if len(exact) == 1 and (exact[0] in models or loose[0] in models):
                warnings.append(f"{where}: {w!r} is a catalog model name")
            for k in (exact, loose):
                prev = seen.get(k)
                if prev and prev[0] != meaning:
                    errors.append(f"{where}: {w!r} also in entry {prev[1]!r} ({prev[2]!r}) "
                                  f"with another meaning")
                seen.setdefault(k, (meaning, term, w))
                for im in intent_words.get(k, ()):
                    if not same(meaning, im):
                        errors.append(f"{where}: {w!r} is {im} in intent-fr.toml")
            if meaning[0] != "unsold" and len(loose) > 1:
                for i in range(len(loose)):
                    for j in range(i + 1, min(len(loose), i + 3) + 1):
                        sub = loose[i:j]
                        if sub in attribute_words and sub != loose:
                            warnings.append(f"{where}: {w!r} swallows the "
                                            f"{attribute_words[sub]} word {' '.join(sub)!r}")
        for n in e.get("narrower", []):
            if n in labels and (meaning[0] != "type" or n != e.get("type")):
                errors.append(f"{where}: narrower {n!r} is a sold type of its own")

    for t in SOLD_TYPES:
        if t not in covered:
            errors.append(f"sold type {t!r} is the type of no entry")
    # The engine's own test wants every [[type]] of intent-fr.toml answered, the generic ones
    # ("table", "linge de lit", "linge de bain") too.
    for t in labels:
        if t not in covered:
            errors.append(f"intent-fr.toml type {t!r} is the type of no entry")

    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    print(f"{len(entries)} entries: {kinds['type']} type, {kinds['category']} category, "
          f"{kinds['unsold']} not sold; {n_phrases} phrases; {len(seen)} distinct keys; "
          f"{len(errors)} errors, {len(warnings)} warnings")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
