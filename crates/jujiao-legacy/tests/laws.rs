//! Property tests for the reader/renderer laws.

use jujiao_legacy::{CANONICAL_STYLE, STANDARD_MARKER, parse, render, render_canonical};
use proptest::prelude::*;

const STYLES: [&str; 3] = [
    CANONICAL_STYLE,
    "font-size:16px;margin-top:15px;line-height:25px;text-indent:30px",
    "font-size:16px;margin-top:15px;line-height:25px;display:block",
];

/// A title that is its own clean form (no BOM, no surrounding white space).
fn title() -> impl Strategy<Value = String> {
    "[^\\s<\\x00\u{feff}]{1,20}"
}

fn text() -> impl Strategy<Value = String> {
    "[^<\\x00]{0,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the bytes, `parse` does not panic, and what it accepts renders back.
    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(doc) = parse(&bytes) {
            prop_assert_eq!(render(&doc).into_bytes(), bytes);
        }
    }

    /// The same on text built from the format's own pieces, which reaches deep paths.
    #[test]
    fn format_shaped_text_never_panics_and_round_trips(
        pieces in proptest::collection::vec(prop_oneof![
            Just("<div><span style='".to_owned()), Just("'> ".to_owned()),
            Just("</span></div><div>&nbsp;</div>".to_owned()), Just(STANDARD_MARKER.to_owned()),
            Just("  \n".to_owned()), Just("\n".to_owned()), Just("\r\n".to_owned()),
            Just(".txt".to_owned()), Just("----".to_owned()), text(),
        ], 0..20)
    ) {
        let s: String = pieces.concat();
        if let Ok(doc) = parse(s.as_bytes()) {
            prop_assert_eq!(render(&doc), s);
        }
    }

    /// Canonical render → parse → render gives the same bytes, and clean titles and
    /// paragraphs come back unchanged in the canonical layout.
    #[test]
    fn canonical_render_parse_render(title in "[^\\s<\0]([^\r\n<\0]{0,30}[^\\s<\0])?", paragraphs in proptest::collection::vec(text(), 0..8)) {
        prop_assume!(!title.ends_with(".txt") && !title.starts_with('\u{feff}'));
        let s = render_canonical(&title, &paragraphs);
        let doc = parse(s.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(render(&doc), s);
        prop_assert_eq!(&doc.title, &title);
        prop_assert_eq!(&doc.paragraphs, &paragraphs);
        prop_assert!(doc.layout.is_canonical());
    }

    /// Any mix of the HTML variants (title newline or not, repeated name, styles,
    /// markers between and after blocks) is accepted and round-trips.
    #[test]
    fn html_variants_round_trip(
        title in title(), newline in any::<bool>(), dot_txt in any::<bool>(),
        blocks in proptest::collection::vec((0usize..3, text(), 0usize..3), 1..10),
        trailing_markers in 0usize..3,
    ) {
        let mut s = title.clone();
        if dot_txt { s.push_str(".txt"); }
        if newline { s.push('\n'); }
        for (i, (style, p, markers)) in blocks.iter().enumerate() {
            // Before the first block, markers need the title's line end to be told apart.
            let markers = if i == 0 && !newline { &0 } else { markers };
            s.push_str(&STANDARD_MARKER.repeat(*markers));
            s.push_str(&format!("<div><span style='{}'> {p}</span></div><div>&nbsp;</div>", STYLES[*style]));
        }
        s.push_str(&STANDARD_MARKER.repeat(trailing_markers));
        let doc = parse(s.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(render(&doc), s);
        prop_assert_eq!(doc.paragraphs.len(), blocks.len());
        let leading_lost = if newline { 0 } else { blocks[0].2 };
        prop_assert_eq!(doc.image_markers, blocks.iter().map(|b| b.2).sum::<usize>() - leading_lost + trailing_markers);
    }

    /// Plain speech files: spacer lines, text lines, markers, with or without a final
    /// newline.
    #[test]
    fn plain_variants_round_trip(
        title in title(),
        lines in proptest::collection::vec(prop_oneof![Just("  ".to_owned()), Just(STANDARD_MARKER.trim_end_matches('\n').to_owned()), "[^<\n\0]{0,30}"], 1..12),
        final_newline in any::<bool>(),
    ) {
        let mut s = format!("{title}\n  \n{}", lines.join("\n"));
        if final_newline { s.push('\n'); }
        let doc = parse(s.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(render(&doc), s);
    }
}
