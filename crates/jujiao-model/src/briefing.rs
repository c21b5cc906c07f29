//! The office's briefing (简报): a series (每日简报) and what one of its issues (一期)
//! says once issued.
//!
//! [`SeriesSettings`] are what the sources file's `[[briefing]]` tables and the admins'
//! edits set; the store keeps them, seeded from the file. [`IssuedText`] is an issue
//! frozen at the moment it was issued — header, table of contents, sections with their
//! items' final titles and paragraphs, closing block — so that later revisions of an
//! article never change an issued issue. Every output (Word, print page, Markdown) is
//! rendered from it alone.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How a series numbers its issues (期号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Numbering {
    /// 第1期, 第2期 … for ever.
    #[default]
    Continuous,
    /// Back to 第1期 on the first issue of each year (by the issue's date).
    Yearly,
}

impl Numbering {
    pub fn as_str(self) -> &'static str {
        match self {
            Numbering::Continuous => "continuous",
            Numbering::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Numbering> {
        match s.trim() {
            "continuous" => Some(Numbering::Continuous),
            "yearly" => Some(Numbering::Yearly),
            _ => None,
        }
    }
}

/// A regular issue or a supplement (增刊), numbered apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    #[default]
    Regular,
    Supplement,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Regular => "regular",
            IssueKind::Supplement => "supplement",
        }
    }

    pub fn parse(s: &str) -> Option<IssueKind> {
        match s.trim() {
            "regular" => Some(IssueKind::Regular),
            "supplement" => Some(IssueKind::Supplement),
            _ => None,
        }
    }

    /// `第3期` or `增刊第1期`.
    pub fn label(self, number: u32) -> String {
        match self {
            IssueKind::Regular => format!("第{number}期"),
            IssueKind::Supplement => format!("增刊第{number}期"),
        }
    }
}

/// A series as configured: `[[briefing]]` in the sources file, or an admin's edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesSettings {
    /// 每日简报: the red header's text; unique.
    pub name: String,
    /// 编印单位: left under the header.
    pub unit: String,
    pub numbering: Numbering,
    /// The columns candidates come from, in the issue's default section order; empty:
    /// every column, in the office's order.
    pub columns: Vec<String>,
    /// 报送 line of the closing block.
    pub send_to: String,
    /// 抄送 line of the closing block.
    pub copy_to: String,
    /// 印数 (copies printed); 0 leaves the line out.
    pub copies: u32,
}

impl SeriesSettings {
    /// The series used when the sources file names none.
    pub fn default_daily() -> SeriesSettings {
        SeriesSettings {
            name: "每日简报".to_owned(),
            unit: "办公室编".to_owned(),
            numbering: Numbering::Continuous,
            columns: Vec::new(),
            send_to: String::new(),
            copy_to: String::new(),
            copies: 0,
        }
    }
}

/// How much of an article an item shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ItemMode {
    /// Every paragraph.
    #[default]
    Full,
    /// The first `paragraphs` paragraphs.
    First { paragraphs: u32 },
    /// The editor's summary (摘要) instead of the text.
    Summary { summary: String },
}

/// One section (一、…) of an issued issue: a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSection {
    pub column: String,
    pub items: Vec<IssuedItem>,
}

/// One item as issued: what the reader sees, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedItem {
    pub article_id: i64,
    /// The article's revision the text was taken from.
    pub revision: u32,
    pub title: String,
    /// 来源 (the publishing site or newspaper).
    pub source: String,
    pub url: String,
    /// 按语: the editor's note, shown before the text.
    pub note: Option<String>,
    /// True when `paragraphs` is the editor's summary.
    pub is_summary: bool,
    pub paragraphs: Vec<String>,
}

/// An issue exactly as issued; stored with it and never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedText {
    pub series: String,
    pub unit: String,
    pub kind: IssueKind,
    pub number: u32,
    pub date: NaiveDate,
    /// Set on a correction (更正): the text names it so.
    pub is_correction: bool,
    pub sections: Vec<IssuedSection>,
    pub send_to: String,
    pub copy_to: String,
    pub copies: u32,
}

impl IssuedText {
    /// `第3期`, `增刊第1期`, `第3期（更正）`; `（未签发）` while the number is 0 (a draft's
    /// preview).
    pub fn number_label(&self) -> String {
        if self.number == 0 {
            return "（未签发）".to_owned();
        }
        let label = self.kind.label(self.number);
        if self.is_correction {
            format!("{label}（更正）")
        } else {
            label
        }
    }

    /// Titles in reading order.
    pub fn titles(&self) -> impl Iterator<Item = &str> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(|i| i.title.as_str()))
    }
}

/// `一`, `二`, … `十`, `十一`, … `九十九` for section numbers (1-based).
pub fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_for_sections() {
        let got: Vec<String> = [1, 2, 10, 11, 20, 23, 99, 100]
            .into_iter()
            .map(chinese_numeral)
            .collect();
        assert_eq!(
            got,
            ["一", "二", "十", "十一", "二十", "二十三", "九十九", "100"]
        );
    }

    #[test]
    fn item_mode_round_trips_as_tagged_json() {
        for mode in [
            ItemMode::Full,
            ItemMode::First { paragraphs: 2 },
            ItemMode::Summary {
                summary: "摘要".into(),
            },
        ] {
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(serde_json::from_str::<ItemMode>(&json).unwrap(), mode);
        }
        assert_eq!(
            serde_json::to_string(&ItemMode::First { paragraphs: 2 }).unwrap(),
            r#"{"mode":"first","paragraphs":2}"#
        );
    }

    #[test]
    fn labels() {
        assert_eq!(IssueKind::Regular.label(3), "第3期");
        assert_eq!(IssueKind::Supplement.label(1), "增刊第1期");
    }
}
