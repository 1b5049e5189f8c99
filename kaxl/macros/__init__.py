"""Entry points behind the Excel buttons (xlwings RunPython). Kept import-light on purpose."""
