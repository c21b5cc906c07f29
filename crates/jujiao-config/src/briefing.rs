//! `[[briefing]]`: the office's briefing series (每日简报, 信息专报 …), which the web app
//! seeds into the database at start (admins edit them there afterwards).
//!
//! ```toml
//! [[briefing]]
//! name = "每日简报"
//! unit = "区委办公室编"
//! numbering = "continuous"     # or "yearly": 第1期 again each year
//! columns = ["领导活动", "本区动态"]
//! send_to = "区委、区政府领导"
//! copy_to = "各街道、各部门"
//! copies = 30
//! ```

use crate::check::KeyError;
use jujiao_model::{Numbering, SeriesSettings};
use serde::Deserialize;
use std::collections::HashSet;

/// Longest series name: it is set large in the red header and must fit one line.
pub const MAX_SERIES_NAME_CHARS: usize = 20;

/// A `[[briefing]]` table exactly as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBriefing {
    pub name: Option<String>,
    /// 编印单位.
    pub unit: Option<String>,
    /// `continuous` (default) or `yearly`.
    pub numbering: Option<String>,
    #[serde(default)]
    pub columns: Vec<String>,
    /// 报送.
    pub send_to: Option<String>,
    /// 抄送.
    pub copy_to: Option<String>,
    /// 印数.
    pub copies: Option<u32>,
}

/// Validates every `[[briefing]]`; none configured gives the default 每日简报.
pub(crate) fn briefings(raw: Vec<RawBriefing>) -> Result<Vec<SeriesSettings>, KeyError> {
    if raw.is_empty() {
        return Ok(vec![SeriesSettings::default_daily()]);
    }
    let mut names = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, b)| {
            let key = format!("briefing[{i}]");
            let s = briefing(b, &key)?;
            if !names.insert(s.name.clone()) {
                return Err(KeyError::invalid(
                    format!("{key}.name"),
                    format!("two briefings are named \"{}\"", s.name),
                ));
            }
            Ok(s)
        })
        .collect()
}

/// Checks one series; public to the crate so the web app's admin form uses the same rule
/// through [`check_series`].
fn briefing(b: RawBriefing, key: &str) -> Result<SeriesSettings, KeyError> {
    let default = SeriesSettings::default_daily();
    let numbering = match b.numbering.as_deref() {
        None => Numbering::Continuous,
        Some(n) => Numbering::parse(n).ok_or_else(|| {
            KeyError::invalid(
                format!("{key}.numbering"),
                format!("\"{n}\" is not a numbering; use \"continuous\" or \"yearly\""),
            )
        })?,
    };
    let s = SeriesSettings {
        name: b.name.unwrap_or(default.name),
        unit: b.unit.unwrap_or(default.unit),
        numbering,
        columns: b.columns,
        send_to: b.send_to.unwrap_or_default(),
        copy_to: b.copy_to.unwrap_or_default(),
        copies: b.copies.unwrap_or(0),
    };
    check_series(&s)
        .map_err(|(field, message)| KeyError::invalid(format!("{key}.{field}"), message))?;
    Ok(s)
}

/// The rules a series must follow, from the file or an admin's form: `(field, what is
/// wrong)`.
pub fn check_series(s: &SeriesSettings) -> Result<(), (&'static str, String)> {
    let name = s.name.trim();
    if name.is_empty() {
        return Err((
            "name",
            "is empty; give the series a name such as 每日简报".into(),
        ));
    }
    let n = name.chars().count();
    if n > MAX_SERIES_NAME_CHARS {
        return Err((
            "name",
            format!("is {n} characters; at most {MAX_SERIES_NAME_CHARS} fit the header"),
        ));
    }
    if s.unit.trim().is_empty() {
        return Err(("unit", "is empty; give the issuing unit (编印单位)".into()));
    }
    let mut seen = HashSet::new();
    for c in &s.columns {
        if c.trim().is_empty() {
            return Err(("columns", "contains an empty column name".into()));
        }
        if !seen.insert(c.trim()) {
            return Err(("columns", format!("lists \"{c}\" twice")));
        }
    }
    for (field, line) in [("send_to", &s.send_to), ("copy_to", &s.copy_to)] {
        if line.contains(['\n', '\r']) {
            return Err((field, "must be one line".into()));
        }
    }
    if s.copies > 100_000 {
        return Err((
            "copies",
            format!("{} is not a plausible print run", s.copies),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("jujiao.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_series_is_read() {
        let c = parse(
            "[[briefing]]\nname = \"信息专报\"\nunit = \"区委办公室编\"\nnumbering = \"yearly\"\n\
             columns = [\"领导活动\", \"本区动态\"]\nsend_to = \"区委领导\"\ncopy_to = \"各街道\"\n\
             copies = 30\n",
        )
        .unwrap();
        let s = &c.briefings[0];
        assert_eq!(s.name, "信息专报");
        assert_eq!(s.numbering, jujiao_model::Numbering::Yearly);
        assert_eq!(s.columns, ["领导活动", "本区动态"]);
        assert_eq!((s.copies, s.send_to.as_str()), (30, "区委领导"));
    }

    #[test]
    fn no_series_gives_the_daily_briefing() {
        let c = parse("").unwrap();
        assert_eq!(c.briefings.len(), 1);
        assert_eq!(c.briefings[0].name, "每日简报");
    }

    #[test]
    fn errors_name_file_key_and_reason() {
        let e = parse("[[briefing]]\nname = \"x\"\nnumbering = \"weekly\"\n").unwrap_err();
        assert!(
            e.contains("jujiao.toml") && e.contains("briefing[0].numbering"),
            "{e}"
        );
        assert!(e.contains("weekly") && e.contains("yearly"), "{e}");
        let e = parse("[[briefing]]\nname = \"x\"\ncolumns = [\"a\", \"a\"]\n").unwrap_err();
        assert!(
            e.contains("briefing[0].columns") && e.contains("twice"),
            "{e}"
        );
        let e = parse("[[briefing]]\nname = \"x\"\n[[briefing]]\nname = \"x\"\n").unwrap_err();
        assert!(e.contains("briefing[1].name"), "{e}");
        let e = parse("[[briefing]]\nname = \"  \"\n").unwrap_err();
        assert!(e.contains("briefing[0].name") && e.contains("empty"), "{e}");
        let e = parse("[[briefing]]\nname = \"x\"\nprinted = 3\n").unwrap_err();
        assert!(e.contains("printed"), "{e}");
    }
}
