"""The Excel buttons' VBA side: a source-only VBA project built on Linux, and the .xlsm wiring.

- :mod:`kaxl.vba.modules` — which modules (xlwings' standalone ones + ``kaxl``) and buttons;
- :mod:`kaxl.vba.project` — the MS-OVBA streams; :mod:`kaxl.vba.compression` — their LZ77;
- :mod:`kaxl.vba.cfb` — the compound file (``vbaProject.bin``) around them;
- :mod:`kaxl.vba.xlsm` — the template .xlsm with its buttons (XlsxWriter);
- :mod:`kaxl.vba.enable` — ``kaxl excel-enable``: an existing ledger, losslessly, as .xlsm.
"""
