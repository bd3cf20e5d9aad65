"""Who holds which stance over many documents: actors merged through an alias table, with the
sentences they hold per stance class (above prediction: raw texts are predicted first)."""
