"""Lossless, XML-level editing of .xlsx/.xlsm packages.

Why not openpyxl: its load/save round trip rebuilds every part from its own object model and
silently drops what it does not model (sparklines, text boxes, 2010 data bars, cached formula
values, dynamic-array metadata, VBA form buttons...). SPEC §5 promises that an annotated copy
loses nothing, so this package never rebuilds a part it does not have to change:

* :mod:`~kaxl.ooxml.package` reads the zip and writes a new one in the same entry order,
  copying every untouched part's *compressed* bytes as they are (fast, and byte-identical);
* the parts that must change (styles, the marked sheets, their comments/VML, the workbook,
  rels and content types) are edited as text: a small, checked splice at the place the change
  belongs, everything around it left exactly as the producer wrote it;
* big worksheet XML is never parsed into a DOM: :mod:`~kaxl.ooxml.sheetpatch` walks the
  ``<row>``/``<c>`` start tags with regular expressions and rewrites only the cells asked for.

Every part is checked for DOCTYPE/ENTITY declarations (:mod:`~kaxl.ooxml.guard`) before any
XML parser or regular expression looks at it.
"""
