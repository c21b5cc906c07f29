//! [`Disclosure`]: the metadata table of a 政府信息公开 page.
//!
//! Government disclosure pages carry a table above the text: 索引号, 主题分类,
//! 发文机关 (or 发布机构), 成文日期, 发文字号, 发布日期, 有效性, 公开方式. The office
//! searches by 发文字号 and filters by issuer and validity, so these are fields, not
//! body text. The publish day of the article stays its 发布日期; 成文日期 (the day the
//! document was signed) is only a field here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The disclosure fields of one article; each `None` when the page does not give it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Disclosure {
    /// 索引号 (`000014349/2020-00068`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_no: Option<String>,
    /// 主题分类 (`综合政务\政务公开`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// 发文机关 / 发布机构 (`北京市海淀区人民政府`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// 成文日期: when the document was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_on: Option<NaiveDate>,
    /// 发文字号 (`京海政发〔2024〕1号`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// 发布日期: when it was published (also the article's publish day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
    /// 有效性 as the page says it (`现行有效`, `失效`, `废止`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<String>,
    /// 公开方式 (`主动公开`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

impl Disclosure {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Disclosure::default()
    }

    /// The fields as (Chinese label, value) pairs in the order pages list them, set
    /// fields only: for display and exports.
    pub fn labelled(&self) -> Vec<(&'static str, String)> {
        let day = |d: &Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        [
            ("索引号", self.index_no.clone()),
            ("主题分类", self.topic.clone()),
            ("发文机关", self.issuer.clone()),
            ("成文日期", day(&self.written_on)),
            ("发文字号", self.doc_number.clone()),
            ("发布日期", day(&self.published_on)),
            ("有效性", self.validity.clone()),
            ("公开方式", self.method.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_labelled() {
        assert!(Disclosure::default().is_empty());
        let d = Disclosure {
            doc_number: Some("京海政发〔2024〕1号".into()),
            written_on: NaiveDate::from_ymd_opt(2024, 1, 3),
            ..Disclosure::default()
        };
        assert!(!d.is_empty());
        assert_eq!(
            d.labelled(),
            vec![
                ("成文日期", "2024-01-03".to_string()),
                ("发文字号", "京海政发〔2024〕1号".to_string())
            ]
        );
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"written_on":"2024-01-03","doc_number":"京海政发〔2024〕1号"}"#
        );
        assert_eq!(serde_json::from_str::<Disclosure>(&json).unwrap(), d);
    }
}
