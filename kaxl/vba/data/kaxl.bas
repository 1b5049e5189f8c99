Attribute VB_Name = "kaxl"
' The kaxl buttons. Each one calls the kaxl Python package through xlwings' free RunPython
' (the xlwings module in this workbook): no add-in, no license key, no server.
' kaxl.macros finds the calling workbook itself, so the file may be renamed freely.
' Set up once per user with:  kaxl excel-setup   (see docs/excel.md)
Option Explicit

Public Sub KaxlValidate()
    ' Validate: check every cell against the SOP and mark the problems.
    RunPython "import kaxl.macros; kaxl.macros.validate()"
End Sub

Public Sub KaxlRefresh()
    ' Refresh scores: recompute scores and alerts without marking cells.
    RunPython "import kaxl.macros; kaxl.macros.refresh()"
End Sub

Public Sub KaxlSummary()
    ' Build summary: write the managers' summary workbook beside this one.
    RunPython "import kaxl.macros; kaxl.macros.summary()"
End Sub
