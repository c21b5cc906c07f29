//! Polite HTTP fetching.
