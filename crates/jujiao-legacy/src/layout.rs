//! [`Layout`]: everything about a legacy file that is not its title or paragraph text,
//! so that [`crate::render`] gives back the original bytes. Stored as JSON in
//! `LegacyPlacement.layout`; fields at their canonical value are left out, so the
//! layout of a canonical file serialises as `{}`.

use serde::{Deserialize, Serialize};

/// The span style of the canonical form.
pub const CANONICAL_STYLE: &str =
    "font-size:16px;margin-top:15px;line-height:25px;text-indent:30px;display:block";

/// The opening of a paragraph block up to its style.
pub(crate) const BLOCK_OPEN: &str = "<div><span style='";
/// Between the style and the paragraph text (note the single space).
pub(crate) const BLOCK_MID: &str = "'> ";
/// The end of a paragraph block.
pub(crate) const BLOCK_CLOSE: &str = "</span></div><div>&nbsp;</div>";

/// The three lines the old system wrote where an image stood (each with a trailing
/// space), as found in its HTML and plain files alike.
pub const STANDARD_MARKER: &str = "---------------------------------------- \n-------------------这里有图片------------ \n---------------------------------------- \n";

/// The mark inside an image-marker line.
pub(crate) const IMAGE_MARK: &str = "这里有图片";

/// The two body forms of legacy files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// `<div><span style='…'> text</span></div><div>&nbsp;</div>` blocks (canonical).
    #[default]
    Html,
    /// The speech archive's plain text: a title line, then lines (see [`Layout::lines`]).
    Plain,
}

/// A span style differing from the file's [`Layout::style`] for one paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleException {
    /// Paragraph index.
    pub at: usize,
    pub style: String,
}

/// A run of image-marker lines, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// How many text paragraphs precede it.
    pub at: usize,
    /// `n` × [`STANDARD_MARKER`] when `text` is `None`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub n: usize,
    /// The exact text (line ends included) when it is not standard markers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Marker {
    /// A marker run holding exactly `text`, compacted when it is standard markers.
    pub(crate) fn from_text(at: usize, text: &str) -> Marker {
        let n = text.len() / STANDARD_MARKER.len();
        if n > 0
            && text.len().is_multiple_of(STANDARD_MARKER.len())
            && text.split(STANDARD_MARKER).all(str::is_empty)
        {
            Marker { at, n, text: None }
        } else {
            Marker {
                at,
                n: 0,
                text: Some(text.to_owned()),
            }
        }
    }

    /// Appends the run's exact text.
    pub(crate) fn write_to(&self, out: &mut String) {
        match &self.text {
            Some(t) => out.push_str(t),
            None => (0..self.n).for_each(|_| out.push_str(STANDARD_MARKER)),
        }
    }

    /// How many image marks (`这里有图片`) the run holds.
    pub fn images(&self) -> usize {
        match &self.text {
            Some(t) => t.matches(IMAGE_MARK).count(),
            None => self.n,
        }
    }
}

/// How a legacy file is laid out apart from its title and paragraph text.
///
/// Rendering `title` + `paragraphs` with this layout reproduces the file byte for byte
/// (see [`crate::render`]). [`Layout::canonical`] is what jujiao writes for new articles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    #[serde(default, skip_serializing_if = "is_html")]
    pub form: Form,
    /// The title as written when it differs from the clean title: a repeated file name
    /// with `.txt`, a running number, line breaks, surrounding spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_line: Option<String>,
    /// Whether a `\n` follows the title (variant 1 omits it in HTML files; title-only
    /// plain files may end without one).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub title_newline: bool,
    /// The span style of (almost) every paragraph block; HTML only.
    #[serde(
        default = "canonical_style",
        skip_serializing_if = "is_canonical_style"
    )]
    pub style: String,
    /// Paragraphs whose style differs from `style`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub style_exceptions: Vec<StyleException>,
    /// Image-marker runs, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    /// HTML only: any text after the last block and marker, verbatim.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tail: String,
    /// Plain only: one letter per body line, in order: `s` a spacer line of two spaces,
    /// `p` the next paragraph, `m` the next marker run (its text holds its line ends).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lines: String,
    /// Plain only: whether the last `s`/`p` line ends with `\n`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub final_newline: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::canonical()
    }
}

impl Layout {
    /// The canonical layout: title, `\n`, canonical blocks, nothing else.
    pub fn canonical() -> Layout {
        Layout {
            form: Form::Html,
            title_line: None,
            title_newline: true,
            style: CANONICAL_STYLE.to_owned(),
            style_exceptions: Vec::new(),
            markers: Vec::new(),
            tail: String::new(),
            lines: String::new(),
            final_newline: true,
        }
    }

    /// True when this is the canonical layout.
    pub fn is_canonical(&self) -> bool {
        *self == Layout::canonical()
    }

    /// The style of paragraph `i`.
    pub fn style_of(&self, i: usize) -> &str {
        self.style_exceptions
            .iter()
            .find(|e| e.at == i)
            .map_or(self.style.as_str(), |e| e.style.as_str())
    }

    /// The layout as JSON for `LegacyPlacement.layout`.
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers, booleans and vectors always serialises.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The layout back from `LegacyPlacement.layout`.
    pub fn from_json(value: &serde_json::Value) -> Result<Layout, serde_json::Error> {
        Layout::deserialize(value)
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_zero(n: &usize) -> bool {
    *n == 0
}
fn is_html(f: &Form) -> bool {
    *f == Form::Html
}
fn canonical_style() -> String {
    CANONICAL_STYLE.to_owned()
}
fn is_canonical_style(s: &str) -> bool {
    s == CANONICAL_STYLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_layout_serialises_as_empty_object_and_back() {
        let v = Layout::canonical().to_json();
        assert_eq!(v, serde_json::json!({}));
        assert_eq!(Layout::from_json(&v).expect("parses"), Layout::canonical());
    }

    #[test]
    fn non_canonical_layout_round_trips_through_json() {
        let mut l = Layout::canonical();
        l.form = Form::Plain;
        l.title_line = Some("2二、标题.txt".into());
        l.title_newline = false;
        l.lines = "sspm".into();
        l.final_newline = false;
        l.markers = vec![
            Marker::from_text(1, STANDARD_MARKER),
            Marker::from_text(2, "--- \n"),
        ];
        l.style_exceptions = vec![StyleException {
            at: 3,
            style: "x".into(),
        }];
        let back = Layout::from_json(&l.to_json()).expect("parses");
        assert_eq!(back, l);
        assert_eq!(back.markers[0].n, 1);
        assert_eq!(back.markers[1].text.as_deref(), Some("--- \n"));
    }

    #[test]
    fn unknown_layout_fields_are_refused() {
        assert!(Layout::from_json(&serde_json::json!({"bogus": 1})).is_err());
    }

    #[test]
    fn marker_images_counts_marks() {
        assert_eq!(Marker::from_text(0, &STANDARD_MARKER.repeat(3)).images(), 3);
        assert_eq!(Marker::from_text(0, "---- \n").images(), 0);
    }
}
