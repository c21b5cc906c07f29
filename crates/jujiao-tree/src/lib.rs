//! The briefing tree on disk, both ways: [`import`] reads an old legacy tree into the
//! store (every file added, merged as a duplicate, or rejected with its reason), and
//! [`publish`] writes the store's filings as a legacy tree (imported files back at their
//! recorded paths in their own variant, new articles in the canonical form).
//!
//! Both are driven by the store, so they can be re-run at any time: importing the same
//! tree twice adds nothing, publishing twice rewrites nothing.

mod files;
mod import;
mod publish;

pub use files::{ATTACHMENTS_DIR, IMAGES_DIR, files_folder};
pub use import::{FileOutcome, ImportOptions, ImportReport, import};
pub use publish::{PublishOptions, PublishReport, plan_item, publish, render_filing};

/// Errors that stop an import or a publish as a whole (a single bad file never does).
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{path}: not a directory")]
    NotADirectory { path: std::path::PathBuf },
    #[error("while walking {path}")]
    Walk {
        path: std::path::PathBuf,
        #[source]
        source: walkdir::Error,
    },
    #[error("the store failed")]
    Store(#[from] jujiao_store::StoreError),
    #[error("cannot create the output folder {path}")]
    Output {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An error and its causes on one line (`a: b: c`), for per-file reports.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
