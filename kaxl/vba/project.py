"""A source-only VBA project (MS-OVBA), built on Linux: ``vbaProject.bin`` for the buttons.

Excel normally stores each module twice: compiled "p-code" (the performance cache, tied to the
Office version and bitness) and the compressed source. A project whose ``_VBA_PROJECT`` stream
has version 0xFFFF and whose modules start at offset 0 has no cache, so Excel compiles it from
source on first open — which is what lets us write it without Excel. (xlwings' own
``quickstart_standalone.xlsm`` stores its ``xlwings`` module the same way.)

The streams (§2.3.4): ``PROJECT`` (text: modules, name, protection state), ``PROJECTwm``
(module names in MBCS and UTF-16), ``VBA/_VBA_PROJECT``, ``VBA/dir`` (compressed records:
project information, references, modules) and one compressed ``VBA/<module>`` stream per module.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kaxl.vba.cfb import write_cfb
from kaxl.vba.compression import compress

CODE_PAGE = 1252  # every module is ASCII; 1252 is what Excel writes for en-US projects
LCID = 0x0409
SYS_KIND = 0x00000003  # 64-bit Windows, as xlwings ships it; without p-code any Excel recompiles
PROJECT_NAME = "VBAProject"
# A fixed project id keeps the output deterministic; the protection fields below are encrypted
# with a key derived from it (§2.4.3), so they are computed, not copied.
PROJECT_ID = "{8A7B0F5E-2C4D-4E61-9B3A-6B61786C0001}"
SEED = 0x8D
# Host extender of every Excel project (§2.3.1.16): the VBE's own type library.
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft Shared"
               "\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library"),
)
UNPROTECTED = struct.pack("<I", 0)  # CMG: ProjectProtectionState, nothing locked
NO_PASSWORD = b"\x00"  # DPB: no password
VISIBLE = b"\xff"  # GC: the project is visible in the VBE
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


@dataclass(frozen=True)
class Module:
    """One VBA module: ``kind`` is "standard" (.bas), "class" (.cls) or "document" (a sheet or
    ThisWorkbook); ``source`` is the stored text, ``Attribute`` lines first, as the VBE keeps it."""

    name: str
    kind: str
    source: str

    def stored(self) -> bytes:
        """The source as Excel stores it: CRLF line ends, in the project's code page."""
        text = self.source.replace("\r\n", "\n").replace("\n", "\r\n")
        return text.encode(f"cp{CODE_PAGE}")


def document_module(name: str) -> Module:
    """The empty code-behind of ThisWorkbook or a worksheet (what Excel creates for each)."""
    base = WORKBOOK_BASE if name == "ThisWorkbook" else SHEET_BASE
    lines = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"',
             "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
             "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True", ""]
    return Module(name, "document", "\n".join(lines))


def build_project(modules: Sequence[Module]) -> bytes:
    """``vbaProject.bin`` holding ``modules`` (document modules included), source only."""
    names = [m.name for m in modules]
    if len(set(n.upper() for n in names)) != len(names):
        raise ValueError(f"duplicate module names: {names}")
    streams = {
        "PROJECT": project_stream(modules),
        "PROJECTwm": project_wm(names),
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",  # version 0xFFFF: no performance cache
        "VBA/dir": compress(dir_stream(modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.stored())
    return write_cfb(streams)


# ------------------------------------------------------------------------------- PROJECT stream


def project_stream(modules: Iterable[Module]) -> bytes:
    """The ``PROJECT`` stream (§2.3.1): module list, name, unprotected and visible."""
    lines = [f'ID="{PROJECT_ID}"']
    for m in modules:
        lines.append({"document": f"Document={m.name}/&H00000000", "class": f"Class={m.name}",
                      "standard": f"Module={m.name}"}[m.kind])
    lines += [f'Name="{PROJECT_NAME}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(UNPROTECTED)}"', f'DPB="{encrypt(NO_PASSWORD)}"', f'GC="{encrypt(VISIBLE)}"',
              "", "[Host Extender Info]", HOST_EXTENDER, ""]
    return ("\r\n".join(lines) + "\r\n").encode(f"cp{CODE_PAGE}")


def encrypt(data: bytes, seed: int = SEED, project_id: str = PROJECT_ID) -> str:
    """MS-OVBA §2.4.3.2 data encryption, as upper-case hex (the CMG/DPB/GC values)."""
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted, enc1, enc2 = project_key, seed ^ project_key, seed ^ version
    ignored = (seed & 6) // 2
    for byte in bytes(ignored) + struct.pack("<I", len(data)) + data:
        encrypted = byte ^ ((enc2 + unencrypted) & 0xFF)
        out.append(encrypted)
        enc2, enc1, unencrypted = enc1, encrypted, byte
    return out.hex().upper()


def decrypt(text: str, project_id: str = PROJECT_ID) -> bytes:
    """The inverse of :func:`encrypt` (§2.4.3.3), for tests and for reading a project back."""
    raw = bytes.fromhex(text)
    seed, version_enc, key_enc = raw[:3]
    project_key = seed ^ key_enc
    if project_key != sum(project_id.encode("ascii")) & 0xFF or seed ^ version_enc != 2:
        raise ValueError("not encrypted with this project's key")
    unencrypted, enc1, enc2 = project_key, key_enc, version_enc
    plain = bytearray()
    for encrypted in raw[3:]:
        byte = encrypted ^ ((enc2 + unencrypted) & 0xFF)
        plain.append(byte)
        enc2, enc1, unencrypted = enc1, encrypted, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    return bytes(plain[ignored + 4:ignored + 4 + length])


def project_wm(names: Iterable[str]) -> bytes:
    """``PROJECTwm`` (§2.3.3): each module name in MBCS and UTF-16, then a terminator."""
    out = bytearray()
    for name in names:
        out += name.encode(f"cp{CODE_PAGE}") + b"\0" + name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


# ---------------------------------------------------------------------------------- dir stream


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A record in MBCS followed by its Unicode twin (name, doc string, stream name …)."""
    return _record(record_id, text.encode(f"cp{CODE_PAGE}")) + _record(unicode_id, text.encode("utf-16-le"))


def dir_stream(modules: Sequence[Module]) -> bytes:
    """The decompressed ``dir`` stream (§2.3.4.2), record by record."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", SYS_KIND))  # PROJECTSYSKIND
    out += _record(0x0002, struct.pack("<I", LCID))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", LCID))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))  # PROJECTCODEPAGE
    out += _record(0x0004, PROJECT_NAME.encode(f"cp{CODE_PAGE}"))  # PROJECTNAME
    out += _text_records(0x0005, 0x0040, "")  # PROJECTDOCSTRING
    out += _text_records(0x0006, 0x003D, "")  # PROJECTHELPFILEPATH (second path, same rule)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, major 1, minor 0
    out += _text_records(0x000C, 0x003C, "")  # PROJECTCONSTANTS
    for name, libid in REFERENCES:
        out += _text_records(0x0016, 0x003E, name)  # REFERENCENAME
        lib = libid.encode(f"cp{CODE_PAGE}")
        out += _record(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))  # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        out += _text_records(0x0019, 0x0047, module.name)  # MODULENAME + MODULENAMEUNICODE
        out += _text_records(0x001A, 0x0032, module.name)  # MODULESTREAMNAME
        out += _text_records(0x001C, 0x0048, "")  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0 (no p-code)
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += _record(0x0021 if module.kind == "standard" else 0x0022, b"")  # MODULETYPE
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)
