//! Stored images and attachments, served by jujiao itself (`/articles/{id}/files/
//! {role}/{position}`): the article page never hot-links a source site. Each answer
//! carries the type judged from the bytes, `X-Content-Type-Options: nosniff` (from the
//! security layer), and `Content-Disposition` with the real name: images `inline`,
//! documents `attachment` (a browser never renders a stored file as a page).

use crate::AppState;
use crate::view::{error_page, store_failed};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use jujiao_store::{ArticleFileEntry, ArticleId, FileRole};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/articles/{id}/files/{role}/{position}", get(file))
}

/// The local address of an article's stored file.
pub(crate) fn file_url(article: ArticleId, entry: &ArticleFileEntry) -> String {
    format!(
        "/articles/{}/files/{}/{}",
        article.0,
        entry.file.role.as_str(),
        entry.file.position
    )
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`
/// (RFC 6266 §4.3): every browser gets the real Chinese name.
pub(crate) fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn file(
    State(state): State<AppState>,
    Path((id, role, position)): Path<(String, String, String)>,
) -> Response {
    let not_found = |state: &AppState| {
        error_page(
            state,
            StatusCode::NOT_FOUND,
            "找不到这个文件",
            "这篇文章没有这个图片或附件，或者它没有下载成功。",
        )
    };
    let (Ok(id), Some(role), Ok(position)) = (
        id.parse::<i64>(),
        FileRole::parse(&role),
        position.parse::<u32>(),
    ) else {
        return not_found(&state);
    };
    let Some(files) = state.files() else {
        return not_found(&state);
    };
    let entries = match state.store().article_files(ArticleId(id)).await {
        Ok(e) => e,
        Err(e) => return store_failed(&state, &e),
    };
    let Some(entry) = entries
        .into_iter()
        .find(|e| e.file.role == role && e.file.position == position)
    else {
        return not_found(&state);
    };
    let files = files.clone();
    let hash = entry.file.hash.clone();
    let bytes = match tokio::task::spawn_blocking(move || files.read(&hash)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            tracing::error!(hash = %entry.file.hash, error = %e, "stored file unreadable");
            return error_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "文件暂时无法读取",
                "文件已登记但读取失败，请联系管理员检查文件目录。",
            );
        }
        Err(_) => return not_found(&state),
    };
    let kind = if role == FileRole::Image && entry.mime.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&entry.mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_disposition(kind, &entry.file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // Content-addressed: the bytes behind this address change only if the article is
    // re-collected, so a day of caching is safe.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    response
}

/// The name of the first stored attachment of an article whose text holds every
/// positive term of the user's query (`-excluded` terms and `OR` ignored, quotes kept
/// as phrases): the search page says "附件：name.pdf" for a hit found only there.
pub(crate) async fn matching_attachment(
    store: &dyn jujiao_store::Store,
    id: ArticleId,
    query: &str,
) -> Option<String> {
    let terms = positive_terms(query);
    if terms.is_empty() {
        return None;
    }
    let entries = store.article_files(id).await.ok()?;
    for e in entries
        .iter()
        .filter(|e| e.file.role == FileRole::Attachment)
    {
        let Ok(Some(file)) = store.file(&e.file.hash).await else {
            continue;
        };
        let Some(text) = file.text else { continue };
        let text = text.to_lowercase();
        if terms.iter().all(|t| text.contains(t.as_str())) {
            return Some(e.file.name.clone());
        }
    }
    None
}

fn positive_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = query.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            terms.push(phrase.trim().to_lowercase());
            rest = tail.trim_start();
            continue;
        }
        let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if !word.starts_with('-') && word != "OR" {
            terms.push(word.to_lowercase());
        }
        rest = tail.trim_start();
    }
    terms.retain(|t| !t.is_empty());
    terms
}

#[cfg(test)]
mod tests {
    #[test]
    fn positive_terms_skip_exclusions_and_keep_phrases() {
        assert_eq!(
            super::positive_terms("预算 \"政府 采购\" -草案 OR Budget"),
            vec!["预算", "政府 采购", "budget"]
        );
    }

    use super::*;

    #[test]
    fn the_real_name_survives_in_content_disposition() {
        assert_eq!(
            content_disposition("attachment", "实施方案 v2.pdf"),
            "attachment; filename=\"____ v2.pdf\"; \
             filename*=UTF-8''%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88%20v2.pdf"
        );
    }
}
