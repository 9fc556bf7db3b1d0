#!/usr/bin/env python3
"""Prints the raw candidates the French home-furnishing thesaurus was built from.

data/lang/thesaurus-fr.toml was written by hand from this output (and from the store's own
categories and types): this script shows reviewers where its words came from. It reads two
references and prints tab-separated lines, nothing else:

  google  <id>  <French name>  <English name>  <French parent path>
      Every category of the Google product taxonomy (Google Merchant Center, 2015-02-19, the
      same ids in fr-FR and en-US) under the home subtrees the store sells from (lighting,
      furniture, decor, linens, storage) and under the home subtrees it does not sell from
      (bathroom accessories, appliances, kitchen and dining, garden, fireplaces, hardware),
      the latter to three levels only.

  mythes  <headword>  <part of speech>  <kept synonyms>  <number of dropped synonyms>
      The senses of the LibreOffice French thesaurus (Debian package mythes-fr, thes_fr.dat,
      LGPL-2.1+; apt-get install mythes-fr) for
      headwords of the domain: the words of the store's type labels, of the taxonomy names
      above and a short list of seed words. A synonym is kept when it is itself a word of the
      domain (a seed, a word of a taxonomy name above, or a headword of which two or more
      synonyms are seeds); the rest (other senses: "bergère" the shepherdess, "lustre" the
      five years, "boîte" the night-club) is dropped. Kept candidates still need a reviewer.

Usage: python3 tools/thesaurus/candidates.py [--google | --mythes]
        [--taxonomy DIR] [--mythes-file FILE] [--intent FILE]
Python 3.11+, standard library only.
"""

import argparse
import os
import re
import signal
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAXONOMY_DIR = "/work/shared/data/google-product-taxonomy"
MYTHES_FILES = ["/usr/share/mythes/th_fr_FR_v2.dat", "/usr/share/mythes/thes_fr.dat"]
INTENT = os.path.join(ROOT, "data", "lang", "intent-fr.toml")

# Subtrees of the store's own range (all levels).
SOLD_ROOTS = [594, 2956, 436, 696, 4171, 636]
# Home subtrees the store does not sell from (three levels: candidates for `closest`).
UNSOLD_ROOTS = [574, 604, 638, 689, 2862, 6792, 2639, 630, 985, 632]
UNSOLD_DEPTH = 3

# Seed headwords beyond the type labels: older, regional and trade words looked up on purpose.
SEEDS = """
meuble mobilier siège assise luminaire lampe lumière éclairage décoration bibelot textile linge
literie rangement placard coffre malle bahut vaisselier dressoir crédence huche desserte
bergère causeuse méridienne ottomane divan sofa banquette chauffeuse cabriolet berceuse
guéridon sellette console chevet escabeau tabouret pliant strapontin
lustre applique suspension plafonnier lampadaire torchère lanterne lampion veilleuse candélabre
chandelier photophore bougeoir bougie chandelle flambeau
glace psyché trumeau cadre encadrement tableau gravure estampe affiche
pendule horloge comtoise coucou réveil
rideau voilage tenture store tapisserie portière brise-bise
tapis carpette paillasson moquette descente
couverture plaid édredon couette courtepointe couvre-lit dessus-de-lit jeté
drap taie oreiller traversin polochon traversin matelas sommier
serviette essuie-mains peignoir nappe napperon torchon
panier corbeille panière cabas hotte bourriche coffret cassette écrin boîte
étagère rayonnage rayon tablette bibliothèque casier
armoire penderie garde-robe vestiaire portemanteau patère
commode chiffonnier semainier secrétaire bureau pupitre écritoire
vase potiche jarre urne cache-pot jardinière
paravent lumignon girandole statue sculpture hamac baguier fourre essuie
"""


def load_taxonomy(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or " - " not in line:
                continue
            ident, names = line.rstrip("\n").split(" - ", 1)
            rows[int(ident)] = [n.strip() for n in names.split(" > ")]
    return rows


def google_rows(taxonomy_dir):
    fr = load_taxonomy(os.path.join(taxonomy_dir, "taxonomy-with-ids.fr-FR.txt"))
    en = load_taxonomy(os.path.join(taxonomy_dir, "taxonomy-with-ids.en-US.txt"))
    roots = [(r, None) for r in SOLD_ROOTS] + [(r, UNSOLD_DEPTH) for r in UNSOLD_ROOTS]
    out = []
    for root, depth in roots:
        prefix = fr[root]
        for ident, path in fr.items():
            if path[: len(prefix)] != prefix:
                continue
            if depth is not None and len(path) - len(prefix) >= depth:
                continue
            out.append((ident, path[-1], en[ident][-1], " > ".join(path[:-1])))
    return out


def load_mythes(path):
    """{headword: [(part of speech, [synonyms])]} from a MyThes .dat file."""
    entries = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        f.readline()  # the encoding line
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        head, _, count = line.rpartition("|")
        if head and count.isdigit() and not line.startswith("("):
            n = int(count)
            senses = []
            for sense in lines[i + 1 : i + 1 + n]:
                parts = sense.split("|")
                words = [re.sub(r"\s*\((générique|generic)\)\s*", "", w).strip() for w in parts[1:]]
                senses.append((parts[0].strip("()"), [w for w in words if w]))
            entries[head] = senses
            i += 1 + n
        else:
            i += 1
    return entries


def words_of(text):
    """The lower-cased words of a name, with a rough French singular (for seeding only)."""
    out = []
    for w in re.findall(r"[\wÀ-ÿœ'-]+", text.lower()):
        w = w.split("'")[-1]
        if len(w) < 4:
            continue
        if w.endswith("eaux"):
            w = w[:-1]
        elif w.endswith(("s", "x")) and not w.endswith(("is", "ss", "us")):
            w = w[:-1]
        out.append(w)
    return out


def mythes_rows(mythes_path, intent_path, google):
    thes = load_mythes(mythes_path)
    with open(intent_path, "rb") as f:
        intent = tomllib.load(f)
    seeds = set(SEEDS.split())
    for t in intent.get("type", []):
        seeds.add(t["label"])
        seeds.update(words_of(t["label"]))
    taxonomy_words = set()
    for _, name_fr, _, _ in google[:]:
        taxonomy_words.update(words_of(name_fr))
    domain = seeds | taxonomy_words
    # Two-hop domain test: a headword of which two or more synonyms are seeds.
    for head, senses in thes.items():
        if sum(w in seeds for _, ws in senses for w in ws) >= 2:
            domain.add(head)
    out = []
    for head in sorted(seeds):
        for pos, syns in thes.get(head, []):
            kept = [w for w in syns if w in domain and w != head]
            if kept:
                out.append((head, pos, kept, len(syns) - len(kept)))
    return out


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--google", action="store_true", help="only the taxonomy candidates")
    ap.add_argument("--mythes", action="store_true", help="only the mythes-fr candidates")
    ap.add_argument("--taxonomy", default=TAXONOMY_DIR)
    ap.add_argument("--mythes-file", default=None)
    ap.add_argument("--intent", default=INTENT)
    args = ap.parse_args()
    both = not args.google and not args.mythes
    google = google_rows(args.taxonomy)
    if args.google or both:
        for ident, fr, en, parent in google:
            print(f"google\t{ident}\t{fr}\t{en}\t{parent}")
    if args.mythes or both:
        path = args.mythes_file or next((p for p in MYTHES_FILES if os.path.exists(p)), None)
        if path is None:
            sys.exit("mythes-fr not found: apt-get install mythes-fr (or pass --mythes-file)")
        # Only the taxonomy names of the store's own range seed the domain.
        sold = [g for g in google if not _unsold(g, args.taxonomy)]
        for head, pos, kept, dropped in mythes_rows(path, args.intent, sold):
            print(f"mythes\t{head}\t{pos}\t{'|'.join(kept)}\t{dropped}")


_UNSOLD_IDS = None


def _unsold(row, taxonomy_dir):
    global _UNSOLD_IDS
    if _UNSOLD_IDS is None:
        fr = load_taxonomy(os.path.join(taxonomy_dir, "taxonomy-with-ids.fr-FR.txt"))
        prefixes = [fr[r] for r in UNSOLD_ROOTS]
        _UNSOLD_IDS = {i for i, p in fr.items() if any(p[: len(q)] == q for q in prefixes)}
    return row[0] in _UNSOLD_IDS


if __name__ == "__main__":
    main()
