//! Where a legacy file sits in an old tree: [`parse_rel_path`] → [`PathInfo`].
//!
//! Observed shapes (all `/`-separated, relative to the tree's root):
//! - `领导活动/2019-10-21/标题.txt` — column, ISO date folder, title;
//! - `网络聚焦/国内新闻/10月15日/标题.txt` — a group above the column, `MM月DD日` folder
//!   (no year: the caller supplies a year hint);
//! - `不忘初心牢记使命/整改落实/76黑龙江：….txt` — no date folder, running number `76`;
//! - `习近平重要讲话/党建/1/0习近平：X.txt` — a page-number folder `1`;
//! - `…/1/0习近平：X.txt/0习近平：X.txt` and `…/学习教育/100标题/100标题.txt` — the file
//!   inside a folder of its own name.

use crate::error::Error;
use crate::write::DateFolderStyle;
use chrono::NaiveDate;

/// A date folder as spelled in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFolder {
    /// The folder name as written (`10月15日`, `2019-10-21`).
    pub spelling: String,
    pub style: DateFolderStyle,
}

/// What a file's relative path says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    /// The column: the directory right above the date folder, or, without a date folder,
    /// the deepest directory that is not a page number. Empty for a file at the root.
    pub column: String,
    /// The directories above the column, `/`-joined (`网络聚焦`), possibly empty.
    pub group: String,
    /// The date the folder names; `None` without a date folder, for `MM月DD日` without
    /// a year hint, or for an impossible date.
    pub date: Option<NaiveDate>,
    pub date_folder: Option<DateFolder>,
    /// A page-number folder between the column and the file (`习近平重要讲话/党建/1`).
    pub page: Option<u32>,
    /// The running number prefixed to the file name (`53` of `53顺应….txt`), as written.
    pub running_number: Option<String>,
    /// True when the file sits in a folder of its own name (with or without `.txt`).
    pub in_own_folder: bool,
    /// The file name without `.txt`.
    pub file_stem: String,
    /// The title the file name implies: the stem without the running number, trimmed.
    pub title: String,
}

/// Classifies a relative path. `year_hint` completes `MM月DD日` folders.
///
/// A running number is assumed only outside date folders (the numbered archives have
/// none; daily folders hold titles like `2019中关村舞蹈节开幕`). [`PathInfo::reconcile_title`]
/// refines it with the title found inside the file.
pub fn parse_rel_path(rel: &str, year_hint: Option<i32>) -> Result<PathInfo, Error> {
    let bad = |reason| Error::BadPath {
        path: rel.to_owned(),
        reason,
    };
    if rel.starts_with('/') {
        return Err(bad("absolute path"));
    }
    let mut parts: Vec<&str> = rel.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'))
    {
        return Err(bad("empty, `.` or `..` component"));
    }
    let file = parts.pop().ok_or_else(|| bad("empty path"))?;
    let file_stem = file
        .strip_suffix(".txt")
        .ok_or_else(|| bad("not a .txt file"))?
        .to_owned();

    let in_own_folder = parts.last().is_some_and(|d| *d == file || *d == file_stem);
    if in_own_folder {
        parts.pop();
    }
    let mut date = None;
    let mut date_folder = None;
    let mut page = None;
    if let Some((style, d)) = parts.last().and_then(|d| date_of_folder(d, year_hint)) {
        date = d;
        date_folder = parts.pop().map(|s| DateFolder {
            spelling: s.to_owned(),
            style,
        });
    } else if let Some(n) = parts.last().and_then(|d| page_number(d)) {
        page = Some(n);
        parts.pop();
    }
    let column = parts.pop().unwrap_or_default().to_owned();
    let group = parts.join("/");

    let running_number = if date_folder.is_none() {
        leading_digits(&file_stem)
    } else {
        None
    };
    let title = match &running_number {
        Some(n) => file_stem[n.len()..].trim().to_owned(),
        None => file_stem.trim().to_owned(),
    };
    Ok(PathInfo {
        column,
        group,
        date,
        date_folder,
        page,
        running_number,
        in_own_folder,
        file_stem,
        title,
    })
}

impl PathInfo {
    /// Refines the running number with the title found inside the file: when the stem is
    /// digits + that title, the digits are the number (`22` + `2013中国…`).
    pub fn reconcile_title(&mut self, content_title: &str) {
        let stem = self.file_stem.trim();
        if content_title.is_empty() || content_title == stem {
            return;
        }
        if let Some(prefix) = stem.strip_suffix(content_title)
            && !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_digit())
        {
            self.running_number = Some(prefix.to_owned());
            self.title = content_title.to_owned();
        }
    }

    /// The column with its group, as a `/`-joined path (`网络聚焦/国内新闻`).
    pub fn column_path(&self) -> String {
        if self.group.is_empty() {
            self.column.clone()
        } else {
            format!("{}/{}", self.group, self.column)
        }
    }
}

/// Leading ASCII digits followed by more text.
fn leading_digits(stem: &str) -> Option<String> {
    let n = stem.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0 && n < stem.len()).then(|| stem[..n].to_owned())
}

fn page_number(dir: &str) -> Option<u32> {
    if dir.len() <= 4 && dir.bytes().all(|b| b.is_ascii_digit()) {
        dir.parse().ok()
    } else {
        None
    }
}

/// `YYYY-MM-DD` or `MM月DD日` (the date is `None` when the year is unknown or the day
/// impossible; the folder is still a date folder).
fn date_of_folder(
    dir: &str,
    year_hint: Option<i32>,
) -> Option<(DateFolderStyle, Option<NaiveDate>)> {
    let b = dir.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let (y, m, d) = (num(&b[..4])?, num(&b[5..7])?, num(&b[8..])?);
        let y = i32::try_from(y).ok()?;
        return Some((DateFolderStyle::Iso, NaiveDate::from_ymd_opt(y, m, d)));
    }
    let (m, rest) = dir.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (m, d) = (num(m.as_bytes())?, num(d.as_bytes())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((
        DateFolderStyle::MonthDay,
        year_hint.and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(rel: &str) -> PathInfo {
        parse_rel_path(rel, Some(2019)).expect("parses")
    }

    #[test]
    fn iso_date_folder() {
        let i = info("领导活动/2019-10-21/区委常委会召开第182次会议.txt");
        assert_eq!(i.column, "领导活动");
        assert_eq!(i.group, "");
        assert_eq!(i.date, NaiveDate::from_ymd_opt(2019, 10, 21));
        assert_eq!(
            i.date_folder.as_ref().map(|d| d.style),
            Some(DateFolderStyle::Iso)
        );
        assert_eq!(i.title, "区委常委会召开第182次会议");
        assert_eq!(i.running_number, None);
    }

    #[test]
    fn month_day_folder_needs_the_year_hint() {
        let i = info("网络聚焦/国内新闻/10月15日/标题.txt");
        assert_eq!(
            (i.group.as_str(), i.column.as_str()),
            ("网络聚焦", "国内新闻")
        );
        assert_eq!(i.column_path(), "网络聚焦/国内新闻");
        assert_eq!(i.date, NaiveDate::from_ymd_opt(2019, 10, 15));
        let j = parse_rel_path("网络聚焦/国内新闻/10月15日/标题.txt", None).expect("parses");
        assert_eq!(j.date, None);
        assert_eq!(
            j.date_folder.map(|d| d.spelling),
            Some("10月15日".to_owned())
        );
        let k = parse_rel_path("健康新闻/02月29日/标题.txt", Some(2019)).expect("parses");
        assert_eq!((k.column.as_str(), k.date), ("健康新闻", None));
    }

    #[test]
    fn dated_titles_keep_their_digits() {
        let i = info("领导活动/2019-10-20/2019中关村舞蹈节开幕.txt");
        assert_eq!(
            (i.running_number, i.title.as_str()),
            (None, "2019中关村舞蹈节开幕")
        );
    }

    #[test]
    fn undated_numbered_file() {
        let i = info("不忘初心牢记使命/整改落实/76黑龙江：将主题教育落到行动上.txt");
        assert_eq!(
            (i.group.as_str(), i.column.as_str()),
            ("不忘初心牢记使命", "整改落实")
        );
        assert_eq!(i.running_number.as_deref(), Some("76"));
        assert_eq!(i.title, "黑龙江：将主题教育落到行动上");
        assert!(i.date_folder.is_none());
    }

    #[test]
    fn page_folder_and_own_folder() {
        let i = info("习近平重要讲话/党建/1/0习近平：X.txt/0习近平：X.txt");
        assert!(i.in_own_folder);
        assert_eq!(i.page, Some(1));
        assert_eq!(i.column, "党建");
        assert_eq!(i.group, "习近平重要讲话");
        assert_eq!(i.running_number.as_deref(), Some("0"));
        let j = info("不忘初心牢记使命/学习教育/100光大集团/100光大集团.txt");
        assert!(j.in_own_folder);
        assert_eq!(j.column, "学习教育");
    }

    #[test]
    fn content_title_settles_the_running_number() {
        let mut i = info("习近平重要讲话/经济/2/222013中国—阿拉伯国家博览会开幕.txt");
        assert_eq!(i.running_number.as_deref(), Some("222013"));
        i.reconcile_title("2013中国—阿拉伯国家博览会开幕");
        assert_eq!(i.running_number.as_deref(), Some("22"));
        assert_eq!(i.title, "2013中国—阿拉伯国家博览会开幕");
    }

    #[test]
    fn trailing_spaces_of_names_are_not_part_of_the_title() {
        let mut i = info("习近平重要讲话/外交/3/9习近平在秘鲁媒体发表署名文章 .txt");
        assert_eq!(i.title, "习近平在秘鲁媒体发表署名文章");
        i.reconcile_title("习近平在秘鲁媒体发表署名文章");
        assert_eq!(i.running_number.as_deref(), Some("9"));
    }

    #[test]
    fn root_file_and_bad_paths() {
        let i = info("testdata.txt");
        assert_eq!((i.column.as_str(), i.group.as_str()), ("", ""));
        for bad in [
            "../x.txt",
            "/etc/x.txt",
            "a//b.txt",
            "a/./b.txt",
            "a/b.pdf",
            "",
        ] {
            assert!(parse_rel_path(bad, None).is_err(), "{bad}");
        }
    }
}
