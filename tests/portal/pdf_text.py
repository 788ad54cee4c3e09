"""Read the text back out of the PDFs WeasyPrint writes (no PDF tool on the machines).

WeasyPrint draws text as 2-byte glyph ids (Identity-H) and gives every font a ToUnicode map;
decoding the content streams' hex strings with those maps gives the text back.
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")
_TEXT_ARRAY = re.compile(rb"\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj", re.S)


def _streams(data: bytes) -> list[bytes]:
    streams = []
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        raw = data[start:end]
        try:
            streams.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            streams.append(raw)
    return streams


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(stream):
        pairs = _HEX.findall(block)
        for source, target in zip(pairs[::2], pairs[1::2], strict=False):
            mapping[int(source, 16)] = _utf16(target)
    for block in _BFRANGE.findall(stream):
        for line in block.strip().splitlines():
            parts = _HEX.findall(line)
            if len(parts) == 3:
                low, high, first = int(parts[0], 16), int(parts[1], 16), _utf16(parts[2])
                for offset in range(high - low + 1):
                    mapping[low + offset] = first[:-1] + chr(ord(first[-1]) + offset)
    return mapping


def pdf_texts(data: bytes) -> list[str]:
    """Return the text of every content stream decoded with each font's map (one per map)."""
    streams = _streams(data)
    cmaps = [_cmap(s) for s in streams if b"begincmap" in s]
    runs = []
    for stream in streams:
        if b"begincmap" in stream:
            continue
        for array, single in _TEXT_ARRAY.findall(stream):
            runs.extend(_HEX.findall(array) if array else [single])
    texts = []
    for mapping in cmaps:
        decoded = []
        for run in runs:
            codes = [int(run[i : i + 4], 16) for i in range(0, len(run) - 3, 4)]
            decoded.append("".join(mapping.get(code, "") for code in codes))
        texts.append("".join(decoded))
    return texts
