"""Sources: where a workbook comes from (files, Google Sheets, uploads) and how it is read into grids."""
