//! Images and attachments in the briefing tree, the way the office expects them (the
//! old 12371.cn archives, LEGACY-FORMAT.md variant 4): beside an article's file, a
//! folder of the article's own name holds `图片/` (images, `1.jpg`, `2.png`… in page
//! order) and `附件/` (attachments under their real names):
//!
//! ```text
//! 领导活动/06月10日/区长调研垃圾分类.txt
//! 领导活动/06月10日/区长调研垃圾分类/图片/1.jpg
//! 领导活动/06月10日/区长调研垃圾分类/附件/实施方案.pdf
//! ```
//!
//! An imported file that already sits in a folder of its own name (`X.txt/X.txt`,
//! `X/X.txt`) keeps its folders there: `X.txt/图片/1.jpg`.

use jujiao_media::FileStore;
use jujiao_model::{Attachment, AttachmentKind, Image};
use jujiao_store::{FileRole, Store};
use std::path::Path;

/// The folder of images beside an article.
pub const IMAGES_DIR: &str = "图片";
/// The folder of attachments beside an article.
pub const ATTACHMENTS_DIR: &str = "附件";

/// The folder (relative, `/`-separated) holding `图片/` and `附件/` for the article
/// filed at `rel_txt`.
pub fn files_folder(rel_txt: &str) -> String {
    let (dir, file) = rel_txt.rsplit_once('/').unwrap_or(("", rel_txt));
    let stem = file.strip_suffix(".txt").unwrap_or(file);
    let parent = dir.rsplit_once('/').map_or(dir, |(_, last)| last);
    if !dir.is_empty() && (parent == file || parent == stem) {
        dir.to_owned()
    } else if dir.is_empty() {
        stem.to_owned()
    } else {
        format!("{dir}/{stem}")
    }
}

/// The role a subfolder's files have.
fn role_dir(role: FileRole) -> &'static str {
    match role {
        FileRole::Image => IMAGES_DIR,
        FileRole::Attachment => ATTACHMENTS_DIR,
    }
}

/// Files found beside an old tree's article, as the article's image and attachment
/// lists (URLs `legacy:<relative path>`). Images in numeric order (`2.jpg` before
/// `10.jpg`); attachments by name, only of the kinds jujiao knows.
pub fn legacy_files(root: &Path, rel_txt: &str) -> (Vec<Image>, Vec<Attachment>) {
    let folder = files_folder(rel_txt);
    let list = |sub: &str| -> Vec<String> {
        let dir = root.join(&folder).join(sub);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort_by_key(|n| {
            let stem = n.split('.').next().unwrap_or(n);
            (stem.parse::<u64>().unwrap_or(u64::MAX), n.clone())
        });
        names
    };
    let url = |sub: &str, name: &str| format!("legacy:{folder}/{sub}/{name}");
    let images = list(IMAGES_DIR)
        .into_iter()
        .map(|n| Image {
            url: url(IMAGES_DIR, &n),
            alt: None,
        })
        .collect();
    let attachments = list(ATTACHMENTS_DIR)
        .into_iter()
        .filter_map(|n| {
            let kind = AttachmentKind::from_extension(n.rsplit_once('.')?.1)?;
            Some(Attachment {
                url: url(ATTACHMENTS_DIR, &n),
                name: n,
                kind,
            })
        })
        .collect();
    (images, attachments)
}

/// True for a path inside an article's `图片/` or `附件/` folder.
pub fn is_article_file(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    parts.next();
    parts
        .next()
        .is_some_and(|d| d == IMAGES_DIR || d == ATTACHMENTS_DIR)
}

/// Stores the files an imported article lists (`legacy:` URLs under `root`) and
/// attaches them; returns failures as (relative path, reason).
pub async fn import_files(
    store: &dyn Store,
    files: &FileStore,
    root: &Path,
    article_id: jujiao_store::ArticleId,
    images: &[Image],
    attachments: &[Attachment],
) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    let mut attached = Vec::new();
    let items = images
        .iter()
        .map(|i| (FileRole::Image, i.url.as_str()))
        .chain(
            attachments
                .iter()
                .map(|a| (FileRole::Attachment, a.url.as_str())),
        );
    let mut positions = (0u32, 0u32);
    for (role, url) in items {
        let position = match role {
            FileRole::Image => {
                positions.0 += 1;
                positions.0
            }
            FileRole::Attachment => {
                positions.1 += 1;
                positions.1
            }
        };
        let Some(rel) = url.strip_prefix("legacy:") else {
            continue;
        };
        let name = rel.rsplit('/').next().unwrap_or(rel).to_owned();
        let bytes = match std::fs::read(root.join(rel)) {
            Ok(b) => b,
            Err(e) => {
                failures.push((rel.to_owned(), format!("cannot read: {e}")));
                continue;
            }
        };
        match jujiao_media::store_local(store, files, bytes).await {
            Ok((hash, _)) => attached.push(jujiao_store::ArticleFile {
                role,
                position,
                name,
                source_url: url.to_owned(),
                hash,
            }),
            Err(e) => failures.push((rel.to_owned(), e)),
        }
    }
    if !attached.is_empty()
        && let Err(e) = store.attach_files(article_id, &attached).await
    {
        failures.push((
            format!("article {article_id}"),
            format!("files not recorded: {e}"),
        ));
    }
    failures
}

/// Writes an article's stored files beside its text file `rel_txt` under `out`;
/// returns (written, unchanged, failures).
pub async fn publish_files(
    store: &dyn Store,
    files: &FileStore,
    out: &Path,
    article_id: jujiao_store::ArticleId,
    rel_txt: &str,
) -> (usize, usize, Vec<String>) {
    let mut result = (0, 0, Vec::new());
    let entries = match store.article_files(article_id).await {
        Ok(e) => e,
        Err(e) => {
            result.2.push(format!("{rel_txt}: files not listed: {e}"));
            return result;
        }
    };
    let folder = files_folder(rel_txt);
    for entry in entries {
        let rel = format!("{folder}/{}/{}", role_dir(entry.file.role), entry.file.name);
        let written = jujiao_legacy::join_under_root(out, &rel)
            .map_err(|e| crate::error_chain(&e))
            .and_then(|path| {
                let bytes = files
                    .read(&entry.file.hash)
                    .map_err(|e| format!("stored file {} unreadable: {e}", entry.file.hash))?;
                jujiao_legacy::write_atomic(&path, &bytes).map_err(|e| crate::error_chain(&e))
            });
        match written {
            Ok(jujiao_legacy::WriteOutcome::Unchanged) => result.1 += 1,
            Ok(_) => result.0 += 1,
            Err(e) => result.2.push(format!("{rel}: {e}")),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_sit_in_a_folder_of_the_articles_name() {
        assert_eq!(
            files_folder("领导活动/06月10日/标题.txt"),
            "领导活动/06月10日/标题"
        );
        assert_eq!(
            files_folder("党建/1/0习近平：X.txt/0习近平：X.txt"),
            "党建/1/0习近平：X.txt"
        );
        assert_eq!(
            files_folder("学习教育/100标题/100标题.txt"),
            "学习教育/100标题"
        );
        assert_eq!(files_folder("标题.txt"), "标题");
        assert!(is_article_file("a/b/标题/图片/1.jpg"));
        assert!(is_article_file("a/标题/附件/通知.pdf"));
        assert!(!is_article_file("a/b/图片.txt"));
    }
}
