"""company-enrichment: a thin client for the enterprise SQL API and EQC."""

__version__ = "0.5.3"
