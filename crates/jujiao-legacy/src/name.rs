//! Turning a title into a file name that is safe on the target file system.

/// The stem used when a title leaves nothing usable (empty, only dots or spaces).
pub const UNTITLED: &str = "无标题";

/// File names are limited to 255 bytes on ext4, NTFS (in UTF-16 units, a looser limit
/// for CJK text) and most other file systems.
const MAX_NAME_BYTES: usize = 255;

/// How strictly file names are made safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileNameMode {
    /// Safe on Windows, macOS and Linux alike (the office opens the files on Windows):
    /// `\ / : * ? " < > |` become their full-width forms `＼ ／ ： ＊ ？ ＂ ＜ ＞ ｜`,
    /// tab and line breaks become a space, other control characters are dropped, no
    /// leading or trailing space and no trailing dot, the reserved device names
    /// (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, any case, also before
    /// a dot) get a `_` appended, and the name (with `.txt` and any ` (n)`) fits in 255
    /// bytes, cut on a character boundary.
    #[default]
    Portable,
    /// Only what POSIX forbids: `/` becomes `／`, NUL is dropped; the 255-byte limit
    /// holds and names that would be empty, `.` or `..` become [`UNTITLED`].
    Posix,
}

/// The file name for `title`: the safe stem, ` (n)` when `suffix` is `Some(n)`, `.txt`.
pub fn file_name(title: &str, mode: FileNameMode, suffix: Option<u32>) -> String {
    let mut stem = safe_stem(title, mode);
    let tail = match suffix {
        Some(n) => format!(" ({n}).txt"),
        None => ".txt".to_owned(),
    };
    if stem.len() + tail.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES - tail.len();
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
        if mode == FileNameMode::Portable {
            let kept = stem.trim_end_matches([' ', '.']).len();
            stem.truncate(kept);
        }
        if stem.is_empty() {
            stem = UNTITLED.to_owned();
        }
    }
    stem + &tail
}

pub(crate) fn safe_stem(title: &str, mode: FileNameMode) -> String {
    let mut s = String::with_capacity(title.len());
    for c in title.chars() {
        match mode {
            FileNameMode::Posix => match c {
                '/' => s.push('／'),
                '\0' => {}
                c => s.push(c),
            },
            FileNameMode::Portable => match c {
                '\\' => s.push('＼'),
                '/' => s.push('／'),
                ':' => s.push('：'),
                '*' => s.push('＊'),
                '?' => s.push('？'),
                '"' => s.push('＂'),
                '<' => s.push('＜'),
                '>' => s.push('＞'),
                '|' => s.push('｜'),
                '\t' | '\n' | '\r' => s.push(' '),
                c if c.is_control() => {}
                c => s.push(c),
            },
        }
    }
    let s = match mode {
        FileNameMode::Portable => s.trim_matches(' ').trim_end_matches(['.', ' ']).to_owned(),
        FileNameMode::Posix => s,
    };
    if s.is_empty() || s == "." || s == ".." {
        return UNTITLED.to_owned();
    }
    if mode == FileNameMode::Portable && is_reserved(&s) {
        // The mark goes before the first dot: Windows reserves `NUL.txt_` as it does
        // `NUL` (only the part before the first dot counts).
        return match s.find('.') {
            Some(dot) => format!("{}_{}", &s[..dot], &s[dot..]),
            None => s + "_",
        };
    }
    s
}

/// Windows device names, which stay reserved with any extension (`NUL.txt`).
fn is_reserved(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or(stem)
        .trim_end_matches(' ')
        .to_ascii_uppercase();
    match base.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let b = base.as_bytes();
            b.len() == 4
                && (base.starts_with("COM") || base.starts_with("LPT"))
                && (b'1'..=b'9').contains(&b[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileNameMode::{Portable, Posix};

    #[test]
    fn portable_replaces_forbidden_characters() {
        assert_eq!(
            file_name(r#"a\b/c:d*e?f"g<h>i|j"#, Portable, None),
            "a＼b／c：d＊e？f＂g＜h＞i｜j.txt"
        );
        assert_eq!(
            file_name("标题\r\n第二行\u{7}", Portable, None),
            "标题  第二行.txt"
        );
        assert_eq!(file_name(" 标题. . ", Portable, None), "标题.txt");
    }

    #[test]
    fn posix_only_replaces_slash_and_nul() {
        assert_eq!(file_name("a|b:c/d\0e ", Posix, None), "a|b:c／de .txt");
        assert_eq!(file_name("..", Posix, None), "无标题.txt");
    }

    #[test]
    fn traversal_and_empty_titles_stay_inside() {
        assert_eq!(
            file_name("../../etc/passwd", Portable, None),
            "..／..／etc／passwd.txt"
        );
        assert_eq!(
            file_name("../../etc/passwd", Posix, None),
            "..／..／etc／passwd.txt"
        );
        assert_eq!(file_name("", Portable, None), "无标题.txt");
        assert_eq!(file_name("...", Portable, None), "无标题.txt");
        assert_eq!(file_name("\u{1}", Portable, Some(2)), "无标题 (2).txt");
    }

    #[test]
    fn reserved_device_names_are_made_safe() {
        for t in ["CON", "con", "Nul", "COM1", "lpt9", "AUX.tar"] {
            let n = file_name(t, Portable, None);
            assert!(!is_reserved(&n), "{t} -> {n}");
        }
        assert_eq!(file_name("COM0", Portable, None), "COM0.txt");
        assert_eq!(file_name("CONSOLE", Portable, None), "CONSOLE.txt");
        assert_eq!(file_name("CON", Posix, None), "CON.txt");
    }

    /// Found by the reliability suite (hostile titles): `NUL.txt` became
    /// `NUL.txt_.txt`, still the device NUL on Windows.
    #[test]
    fn reserved_name_with_an_extension_is_not_reserved_after_marking() {
        assert_eq!(file_name("NUL.txt", Portable, None), "NUL_.txt.txt");
        assert_eq!(file_name("aux.tar.gz", Portable, None), "aux_.tar.gz.txt");
        assert!(!is_reserved(&file_name("con .x", Portable, None)));
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let title = "长".repeat(200);
        for suffix in [None, Some(12)] {
            let n = file_name(&title, Portable, suffix);
            assert!(n.len() <= 255, "{}", n.len());
            assert!(n.len() > 240);
            assert!(n.ends_with(if suffix.is_some() {
                "长 (12).txt"
            } else {
                "长.txt"
            }));
        }
    }
}
