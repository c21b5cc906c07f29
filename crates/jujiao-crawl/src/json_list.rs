//! Items of a JSON list answer: the dotted path of [`jujiao_config::JsonPath`] applied
//! to a `serde_json::Value`, each item's fields mapped to a list item.

use chrono::{DateTime, NaiveDate, Utc};
use jujiao_config::{ItemUrl, JsonItems, JsonPath, PathStep};
use serde_json::Value;
use url::Url;

/// One item of a list: what the list says about an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub title: String,
    pub url: Url,
    pub date: Option<NaiveDate>,
    pub summary: Option<String>,
}

/// Every value the path leads to, in document order.
pub(crate) fn select<'a>(root: &'a Value, path: &JsonPath) -> Vec<&'a Value> {
    let mut current = vec![root];
    for step in &path.steps {
        let mut next = Vec::new();
        for v in current {
            match (step, v) {
                (PathStep::Key(k), Value::Object(m)) => next.extend(m.get(k)),
                (PathStep::Index(i), Value::Array(a)) => next.extend(a.get(*i)),
                (PathStep::Each, Value::Array(a)) => next.extend(a.iter()),
                (PathStep::Each, Value::Object(m)) => next.extend(m.values()),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// The first value at `path` as text (numbers and booleans spelled out).
fn text(item: &Value, path: &JsonPath) -> Option<String> {
    match select(item, path).first()? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list date as APIs give it: `2024-05-01`, `2024-05-01 10:00:00`, `2024/5/1`,
/// `2024年5月1日`, or a Unix time in seconds or milliseconds. The day is the
/// Asia/Shanghai day.
pub(crate) fn date_of(value: &Value) -> Option<NaiveDate> {
    match value {
        Value::Number(n) => epoch_day(n.as_i64()?),
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) && s.len() >= 10 {
                return epoch_day(s.parse().ok()?);
            }
            jujiao_extract::date::parse(s).map(|t| t.date())
        }
        _ => None,
    }
}

fn epoch_day(n: i64) -> Option<NaiveDate> {
    // 10^11 seconds is in the year 5138: anything larger is milliseconds.
    let secs = if n.abs() >= 100_000_000_000 {
        n / 1000
    } else {
        n
    };
    let t: DateTime<Utc> = DateTime::from_timestamp(secs, 0)?;
    Some(t.with_timezone(&jujiao_model::shanghai()).date_naive())
}

/// What reading a JSON answer gave: the items and the ones that could not be used.
#[derive(Debug, Default)]
pub(crate) struct JsonPage {
    pub items: Vec<ListItem>,
    /// Items without a title or a usable URL (counted, the first few described).
    pub skipped: Vec<String>,
}

/// Reads the items of a JSON list answer; relative URLs are resolved against `base`.
pub(crate) fn items(root: &Value, map: &JsonItems, base: &Url) -> JsonPage {
    let mut page = JsonPage::default();
    for (i, item) in select(root, &map.items).into_iter().enumerate() {
        let title = text(item, &map.title);
        let link = match &map.url {
            ItemUrl::Field(p) => text(item, p).and_then(|u| base.join(&u).ok()),
            ItemUrl::Template { id, template } => {
                text(item, id).and_then(|id| Url::parse(&template.replace("{id}", &id)).ok())
            }
        };
        let (Some(title), Some(url)) = (title, link) else {
            page.skipped.push(format!(
                "item {i} of `{}` has no title at `{}` or no usable URL",
                map.items.text, map.title.text
            ));
            continue;
        };
        let date = map
            .date
            .as_ref()
            .and_then(|p| select(item, p).first().and_then(|v| date_of(v)));
        let summary = map.summary.as_ref().and_then(|p| text(item, p));
        page.items.push(ListItem {
            title,
            url,
            date,
            summary,
        });
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> JsonPath {
        JsonPath::parse(s).unwrap()
    }

    #[test]
    fn paths_select_nested_arrays() {
        let v = json!({"data": {"list": [{"t": "a"}, {"t": "b"}], "n": 2}});
        assert_eq!(select(&v, &p("data.list[*]")).len(), 2);
        assert_eq!(select(&v, &p("data.list[1].t")), vec![&json!("b")]);
        assert!(select(&v, &p("data.missing[*]")).is_empty());
        assert_eq!(select(&v, &p("data.n")), vec![&json!(2)]);
    }

    #[test]
    fn dates_come_in_many_spellings() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(date_of(&json!("2024-05-01")), d(2024, 5, 1));
        assert_eq!(date_of(&json!("2024-05-01 23:10:00")), d(2024, 5, 1));
        assert_eq!(date_of(&json!("2024年5月1日")), d(2024, 5, 1));
        // 2024-04-30T16:30:00Z is already May 1st in Beijing.
        assert_eq!(date_of(&json!(1_714_494_600)), d(2024, 5, 1));
        assert_eq!(date_of(&json!(1_714_494_600_000_i64)), d(2024, 5, 1));
        assert_eq!(date_of(&json!("1714494600000")), d(2024, 5, 1));
        assert_eq!(date_of(&json!("soon")), None);
    }

    #[test]
    fn items_map_fields_and_templates() {
        let map = JsonItems {
            items: p("rows[*]"),
            title: p("name"),
            url: ItemUrl::Template {
                id: p("id"),
                template: "http://a.cn/art/{id}.html".into(),
            },
            date: Some(p("pub")),
            summary: None,
        };
        let v = json!({"rows": [{"name": "通知", "id": 7, "pub": "2024-01-02"}, {"id": 8}]});
        let page = items(&v, &map, &Url::parse("http://a.cn/api").unwrap());
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].url.as_str(), "http://a.cn/art/7.html");
        assert_eq!(page.items[0].date, NaiveDate::from_ymd_opt(2024, 1, 2));
        assert_eq!(page.skipped.len(), 1);
    }
}
