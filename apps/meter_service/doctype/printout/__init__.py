"""Printouts kept as files: a PDF made ahead (in a job) or at a download, served again while
the document it shows is unchanged."""
