"""MS-OVBA 2.4.1 compression: the LZ77 variant every stream of a VBA project is stored in.

The ``dir`` stream and each module's source are a CompressedContainer: a signature byte 0x01,
then chunks of at most 4096 decompressed bytes, each a 2-byte header and a run of token
sequences (a flag byte, then up to eight literal bytes or 2-byte copy tokens). The copy token's
split between offset and length bits depends on how far into the chunk it is (§2.4.1.3.19.1),
which is the one subtle part; an independent reader (oletools' ``decompress_stream``) checks it
in the tests.
"""

from __future__ import annotations

CHUNK = 4096
MIN_MATCH = 3
MAX_CANDIDATES = 256


def compress(data: bytes) -> bytes:
    """``data`` as an MS-OVBA CompressedContainer (§2.4.1.3.6)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _chunk(data[start:start + CHUNK])
    return bytes(out)


def _chunk(chunk: bytes) -> bytes:
    """One CompressedChunk: header + tokens, or the raw 4096 bytes when that is smaller."""
    body = _tokens(chunk)
    if len(body) > CHUNK:
        if len(chunk) != CHUNK:  # a raw chunk is always 4096 bytes; padding would add zeros
            raise ValueError("an incompressible partial chunk cannot be stored")  # pragma: no cover
        header = (CHUNK + 2 - 3) | (0b011 << 12)  # flag 0: uncompressed
        return header.to_bytes(2, "little") + chunk
    header = (len(body) + 2 - 3) | (0b011 << 12) | (1 << 15)
    return header.to_bytes(2, "little") + body


def _split(position: int) -> tuple[int, int]:
    """(bit count of the length field, maximum length) of a copy token at ``position`` in its chunk."""
    bit_count = max((position - 1).bit_length(), 4)
    return 16 - bit_count, (0xFFFF >> bit_count) + 3


def _tokens(chunk: bytes) -> bytes:
    """Token sequences for one chunk: longest earlier match (nearest on ties), else a literal."""
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions, oldest first
    position, end = 0, len(chunk)
    while position < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if position >= end:
                break
            length, offset = 0, 0
            if position > 0 and position + MIN_MATCH <= end:
                length_bits, maximum = _split(position)
                limit = min(maximum, end - position)
                # the nearest MAX_CANDIDATES earlier matches: any valid match decompresses the same,
                # and an exhaustive search is quadratic on indentation-heavy source
                for candidate in reversed(seen.get(chunk[position:position + MIN_MATCH], ())[-MAX_CANDIDATES:]):
                    size = MIN_MATCH
                    while size < limit and chunk[candidate + size] == chunk[position + size]:
                        size += 1
                    if size > length:
                        length, offset = size, position - candidate
                        if size == limit:
                            break
            if length >= MIN_MATCH:
                token = ((offset - 1) << length_bits) | (length - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                step = length
            else:
                out.append(chunk[position])
                step = 1
            for at in range(position, position + step):
                if at + MIN_MATCH <= end:
                    seen.setdefault(chunk[at:at + MIN_MATCH], []).append(at)
            position += step
        out[flag_at] = flags
    return bytes(out)
