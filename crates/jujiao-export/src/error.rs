//! [`ExportError`]: what stops an export as a whole.

use std::path::PathBuf;

/// Errors that stop an export. A filing that cannot be placed in the zip tree is not
/// one of them: it is reported in [`ExportReport::skipped`](crate::ExportReport::skipped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("the store failed while reading filings")]
    Store(#[from] jujiao_store::StoreError),
    #[error("while writing the {format} export")]
    Write {
        format: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("while writing the zip archive")]
    Zip(#[from] zip::result::ZipError),
    #[error("while writing the xlsx workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("while writing the JSON lines export")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the export file {path}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown export format `{0}` (expected zip, xlsx, docx, md or jsonl)")]
    UnknownFormat(String),
}

impl ExportError {
    pub(crate) fn write(format: &'static str) -> impl FnOnce(std::io::Error) -> ExportError {
        move |source| ExportError::Write { format, source }
    }
}

/// Results of this crate.
pub type Result<T, E = ExportError> = std::result::Result<T, E>;
