//! Article extraction: decoding, selector rules and automatic extraction.
