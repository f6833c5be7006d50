"""Focus groups and open-text answers: sources, de-identification, codebooks, agreement."""
