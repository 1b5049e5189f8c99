"""Reading ledgers: the package guards, the workbook reader, the value normalisers and the
typed ledger (frames that remember every cell)."""
