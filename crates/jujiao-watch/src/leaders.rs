//! Which configured leaders (`[[leader]]`) an article names, and the sentence naming
//! them: the 领导活动一览 page and the briefing's leader filter.
//!
//! A name counts only where it stands as a name: each side must be the text's edge, a
//! character that is not a CJK letter (punctuation, space, digit), a title (区委书记张三,
//! 张三区长 — the leader's own title and the common ones in [`TITLES`]), or a word that
//! commonly stands next to a name ([`BEFORE`], [`AFTER`]). So `王伟` does not fire in
//! `王伟东出席`, nor `张三` in `李张三`. Names are matched exactly as written (no
//! normalisation): people's names have no variants but the aliases given.

use crate::excerpt::sentence_at;
use jujiao_config::Leader;

/// Titles recognised before or after a name, beside the leader's own.
pub const TITLES: &[&str] = &[
    "书记",
    "副书记",
    "区长",
    "副区长",
    "市长",
    "副市长",
    "省长",
    "副省长",
    "县长",
    "副县长",
    "镇长",
    "主任",
    "副主任",
    "部长",
    "副部长",
    "局长",
    "副局长",
    "主席",
    "副主席",
    "委员",
    "常委",
    "秘书长",
    "检察长",
    "院长",
    "组长",
    "同志",
    "代表",
    "总理",
    "副总理",
    "街道主任",
];

/// Words that commonly follow a name (verbs of official activity, conjunctions).
pub const AFTER: &[&str] = &[
    "主持", "出席", "参加", "强调", "指出", "表示", "要求", "讲话", "调研", "会见", "会谈", "看望",
    "慰问", "检查", "督导", "率队", "带队", "走访", "察看", "听取", "宣布", "作", "在", "到", "赴",
    "来", "和", "与", "及", "等", "的", "说", "是", "为", "对", "向", "一行", "同", "也", "就",
    "专题", "前往", "深入", "实地", "现场", "视察", "部署", "批示",
];

/// Words that commonly precede a name.
pub const BEFORE: &[&str] = &[
    "和", "与", "及", "同", "对", "向", "由", "在", "请", "陪同", "是", "为", "会见", "看望",
    "领导", "嘉宾",
];

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{3134f}')
}

/// Finds leaders in texts; see the module documentation.
#[derive(Debug, Clone)]
pub struct LeaderFinder {
    leaders: Vec<Leader>,
}

/// One leader named in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Index of the leader in the finder's list.
    pub leader: usize,
    /// The sentence naming them.
    pub sentence: String,
}

impl LeaderFinder {
    pub fn new(leaders: Vec<Leader>) -> LeaderFinder {
        LeaderFinder { leaders }
    }

    pub fn leaders(&self) -> &[Leader] {
        &self.leaders
    }

    fn stands_alone(&self, leader: &Leader, text: &str, from: usize, to: usize) -> bool {
        let before = &text[..from];
        let after = &text[to..];
        let own = [leader.title.as_str()];
        let titled = |s: &dyn Fn(&str) -> bool| {
            own.iter().filter(|t| !t.is_empty()).any(|t| s(t)) || TITLES.iter().any(|t| s(t))
        };
        let left = match before.chars().next_back() {
            None => true,
            Some(c) if !is_cjk(c) => true,
            Some(_) => {
                titled(&|t: &str| before.ends_with(t)) || BEFORE.iter().any(|w| before.ends_with(w))
            }
        };
        let right = match after.chars().next() {
            None => true,
            Some(c) if !is_cjk(c) => true,
            Some(_) => {
                titled(&|t: &str| after.starts_with(t))
                    || AFTER.iter().any(|w| after.starts_with(w))
            }
        };
        left && right
    }

    /// Where leader `i` is first named in `text` (byte offset), if anywhere.
    pub fn find(&self, i: usize, text: &str) -> Option<usize> {
        let leader = self.leaders.get(i)?;
        std::iter::once(&leader.name)
            .chain(&leader.aliases)
            .filter(|n| !n.is_empty())
            .filter_map(|name| {
                text.match_indices(name.as_str())
                    .map(|(at, _)| at)
                    .find(|&at| self.stands_alone(leader, text, at, at + name.len()))
            })
            .min()
    }

    /// Every leader named in the title or the body, with the sentence (from the body
    /// when it names them there, else the title).
    pub fn mentions(&self, title: &str, body: &str) -> Vec<Mention> {
        (0..self.leaders.len())
            .filter_map(|i| {
                if let Some(at) = self.find(i, body) {
                    return Some(Mention {
                        leader: i,
                        sentence: sentence_at(body, at),
                    });
                }
                self.find(i, title).map(|_| Mention {
                    leader: i,
                    sentence: title.to_owned(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder() -> LeaderFinder {
        LeaderFinder::new(vec![
            Leader {
                name: "王伟".into(),
                title: "区委书记".into(),
                aliases: vec![],
            },
            Leader {
                name: "张三".into(),
                title: "区长".into(),
                aliases: vec!["张老三".into()],
            },
        ])
    }

    fn named(text: &str) -> Vec<usize> {
        finder()
            .mentions("", text)
            .into_iter()
            .map(|m| m.leader)
            .collect()
    }

    #[test]
    fn a_name_inside_a_longer_name_does_not_match() {
        assert_eq!(named("王伟东出席会议。"), Vec::<usize>::new());
        assert_eq!(named("李张三同志"), Vec::<usize>::new());
        assert_eq!(named("王伟东出席会议，王伟主持。"), [0]);
    }

    #[test]
    fn titles_before_and_after_names_are_recognised() {
        assert_eq!(named("区委书记王伟到街道调研。"), [0]);
        assert_eq!(named("会上，张三区长强调。"), [1]);
        assert_eq!(named("区领导王伟、张三出席。"), [0, 1]);
        assert_eq!(named("张老三一行"), [1]);
        let m = finder().mentions("标题", "开头。区委书记王伟主持会议并讲话。结尾。");
        assert_eq!(m[0].sentence, "区委书记王伟主持会议并讲话。");
    }
}
