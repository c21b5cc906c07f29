//! The legacy briefing format (see `../shared/LEGACY-FORMAT.md`): reader, writer, layout.
