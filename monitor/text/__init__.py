"""Text normalisation shared by keyword rules and story de-duplication."""

from monitor.text.arabic import normalize, normalize_arabic, normalize_with_map

__all__ = ["normalize", "normalize_arabic", "normalize_with_map"]
