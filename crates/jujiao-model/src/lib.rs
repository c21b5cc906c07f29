//! The data model every part of jujiao speaks: an [`Article`] as collected from a page or
//! read from an old briefing file, and a [`Filing`] that places it in a briefing column on
//! a date. [`Validators`] carry a page's version from the fetcher to the store and back.
//!
//! Paragraph text is kept exactly as found ([`Paragraph::raw`]) so that an imported legacy
//! file can be written back byte for byte; [`Paragraph::clean`] derives the form used for
//! search, display and de-duplication.

mod article;
pub mod briefing;
mod disclosure;
mod filing;
mod time;
mod validators;

pub use article::{Article, Attachment, AttachmentKind, Fingerprint, Image, Paragraph};
pub use briefing::{
    IssueKind, IssuedItem, IssuedSection, IssuedText, ItemMode, Numbering, SeriesSettings,
};
pub use disclosure::Disclosure;
pub use filing::{Filing, LegacyPlacement};
pub use time::{PublishTime, SHANGHAI_OFFSET_SECS, shanghai};
pub use validators::Validators;
