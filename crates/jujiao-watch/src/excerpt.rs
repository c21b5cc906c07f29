//! The sentence around a place in a text: what an alert or the leaders' page quotes.

/// Most characters quoted; a longer sentence is cut around the place, with `…`.
pub const MAX_SENTENCE_CHARS: usize = 120;

fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n')
}

/// The sentence of `text` holding byte `at` (a character boundary), with its closing
/// punctuation, trimmed; at most [`MAX_SENTENCE_CHARS`] characters.
pub fn sentence_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| ends_sentence(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| ends_sentence(*c))
        .map_or(text.len(), |(i, c)| {
            at + i + if c == '\n' { 0 } else { c.len_utf8() }
        });
    let sentence = text[start..end].trim();
    if sentence.chars().count() <= MAX_SENTENCE_CHARS {
        return sentence.to_owned();
    }
    // Keep the place in view: a third before it, the rest after.
    let offset = text[start..at].trim_start().chars().count();
    let skip = offset.saturating_sub(MAX_SENTENCE_CHARS / 3);
    let mut out: String = sentence
        .chars()
        .skip(skip)
        .take(MAX_SENTENCE_CHARS)
        .collect();
    if skip > 0 {
        out.insert(0, '…');
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_with_its_punctuation() {
        let t = "第一句。区委书记张三主持会议！第三句";
        let at = t.find("张三").unwrap();
        assert_eq!(sentence_at(t, at), "区委书记张三主持会议！");
        assert_eq!(sentence_at(t, t.find("第三").unwrap()), "第三句");
        assert_eq!(sentence_at("一\n张三来了\n二", 4), "张三来了");
    }

    #[test]
    fn a_long_sentence_is_cut_around_the_place() {
        let t = format!("{}张三{}。", "甲".repeat(200), "乙".repeat(200));
        let s = sentence_at(&t, t.find("张三").unwrap());
        assert!(s.contains("张三"));
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(s.chars().count() <= MAX_SENTENCE_CHARS + 2);
    }
}
