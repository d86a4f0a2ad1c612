"""Names compared the way people write them: whatever their case, accents, hyphens, apostrophes and abbreviations."""

import re
import unicodedata

# The abbreviations of street types that schools' files and the Base Adresse Nationale write differently.
STREET_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "ch": "chemin",
    "che": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "pl": "place",
    "r": "rue",
    "rte": "route",
    "sq": "square",
    "all": "allee",
    "crs": "cours",
    "fg": "faubourg",
    "fbg": "faubourg",
    "pass": "passage",
    "res": "residence",
    "st": "saint",
    "ste": "sainte",
}
# What follows a number: "12 bis", "12B", "12 ter".
NUMBER_SUFFIX = r"(?:\s*(?:bis|ter|quater|[a-d])\b)?"


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: "Lille-Sud" and "lille sud" are one."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def street_key(street: str) -> str:
    """A street's name folded, its abbreviations spelled out: "Av. J.-B. Lebas" is "avenue j b lebas"."""
    return " ".join(STREET_ABBREVIATIONS.get(word, word) for word in fold(street).split())


def split_address(address: str) -> tuple[int | None, str]:
    """The number and the street's key of the first line of an address: "12 bis, rue des Postes" is
    (12, "rue des postes"). An address with no number gives (None, key)."""
    line = fold((address or "").splitlines()[0] if address else "")
    match = re.match(rf"^(\d{{1,5}}){NUMBER_SUFFIX}\s+(.*)$", line)
    if match:
        return int(match.group(1)), street_key(match.group(2))
    return None, street_key(line)
