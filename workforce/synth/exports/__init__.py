"""Membership exports of the synthetic societies, each in the society's own format.

`ashg` writes XLSX, `nsgc` a cp1252 CSV behind a UTF-8 BOM, `acmg` an SPSS .sav; each builds
an `ExportRows` table of cells aligned with the standard records they truthfully encode.
"""
