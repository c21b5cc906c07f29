//! The writer side: planning paths, keeping them under the root, atomic idempotent writes.

use chrono::NaiveDate;
use jujiao_legacy::{
    DateFolderStyle, Error, FileNameMode, PlanItem, Planner, WriteOutcome, join_under_root, parse,
    render_canonical, write_atomic,
};

fn item(id: i64, column: &str, title: &str) -> PlanItem {
    PlanItem {
        filing_id: id,
        column: column.into(),
        date: NaiveDate::from_ymd_opt(2019, 10, 21),
        title: title.into(),
        recorded_path: None,
    }
}

fn paths(planner: &Planner, items: &[PlanItem]) -> Vec<String> {
    planner
        .plan(items)
        .into_iter()
        .map(|r| r.expect("planned").rel_path)
        .collect()
}

#[test]
fn date_folder_styles() {
    let d = NaiveDate::from_ymd_opt(2019, 6, 1).expect("date");
    assert_eq!(DateFolderStyle::MonthDay.folder_name(d), "06月01日");
    assert_eq!(DateFolderStyle::Iso.folder_name(d), "2019-06-01");
    assert_eq!(DateFolderStyle::default(), DateFolderStyle::MonthDay);
}

#[test]
fn same_title_same_day_gets_suffixes_in_filing_order() {
    let planner = Planner::default();
    let items = [
        item(9, "领导活动", "区委常委会召开会议"),
        item(3, "领导活动", "区委常委会召开会议"),
        item(5, "领导活动", "区委常委会召开会议"),
    ];
    let got = paths(&planner, &items);
    assert_eq!(
        got,
        [
            "领导活动/10月21日/区委常委会召开会议.txt",
            "领导活动/10月21日/区委常委会召开会议 (2).txt",
            "领导活动/10月21日/区委常委会召开会议 (3).txt"
        ]
    );
    let ids: Vec<i64> = planner
        .plan(&items)
        .into_iter()
        .map(|r| r.expect("planned").filing_id)
        .collect();
    assert_eq!(ids, [3, 5, 9]);
    // Same input in another order: same answer.
    let mut reversed = items.to_vec();
    reversed.reverse();
    assert_eq!(paths(&planner, &reversed), got);
}

#[test]
fn portable_names_collide_case_insensitively_posix_do_not() {
    let items = [
        item(1, "国际新闻", "WHO report"),
        item(2, "国际新闻", "who report"),
    ];
    let p = paths(
        &Planner::new(DateFolderStyle::Iso, FileNameMode::Portable),
        &items,
    );
    assert_eq!(p[1], "国际新闻/2019-10-21/who report (2).txt");
    let p = paths(
        &Planner::new(DateFolderStyle::Iso, FileNameMode::Posix),
        &items,
    );
    assert_eq!(p[1], "国际新闻/2019-10-21/who report.txt");
}

#[test]
fn recorded_paths_are_kept_and_new_ones_avoid_them() {
    let mut old = item(7, "国内新闻", "标题");
    old.recorded_path = Some("网络聚焦/国内新闻/10月21日/标题.txt".into());
    let new = PlanItem {
        column: "网络聚焦/国内新闻".into(),
        ..item(2, "", "标题")
    };
    let got = paths(&Planner::default(), &[new, old]);
    assert_eq!(
        got,
        [
            "网络聚焦/国内新闻/10月21日/标题 (2).txt",
            "网络聚焦/国内新闻/10月21日/标题.txt"
        ]
    );
}

#[test]
fn recorded_paths_escaping_the_root_or_taken_twice_are_refused() {
    let mut bad = item(1, "x", "t");
    bad.recorded_path = Some("../../etc/passwd".into());
    let mut abs = item(2, "x", "t");
    abs.recorded_path = Some("/etc/passwd".into());
    let mut a = item(3, "x", "t");
    a.recorded_path = Some("x/a.txt".into());
    let mut b = item(4, "x", "t");
    b.recorded_path = Some("x/a.txt".into());
    let r = Planner::default().plan(&[bad, abs, a, b]);
    assert!(matches!(r[0], Err(Error::BadPath { .. })));
    assert!(matches!(r[1], Err(Error::BadPath { .. })));
    assert!(r[2].is_ok());
    assert!(matches!(r[3], Err(Error::PathTaken { taken_by: 3, .. })));
}

#[test]
fn hostile_titles_and_columns_stay_under_the_root() {
    for mode in [FileNameMode::Portable, FileNameMode::Posix] {
        let items = [
            item(1, "../..", "../../etc/passwd"),
            item(2, "/", ""),
            item(3, "领导活动", "CON"),
            item(4, ".", ".."),
        ];
        for r in Planner::new(DateFolderStyle::MonthDay, mode).plan(&items) {
            let p = r.expect("planned").rel_path;
            assert!(
                join_under_root(std::path::Path::new("/out"), &p).is_ok(),
                "{mode:?}: {p}"
            );
            assert!(
                !p.split('/').any(|c| c == ".." || c == "." || c.is_empty()),
                "{p}"
            );
        }
    }
    let p = paths(&Planner::default(), &[item(3, "领导活动", "CON")]);
    assert_eq!(p, ["领导活动/10月21日/CON_.txt"]);
}

#[test]
fn join_under_root_refuses_escapes() {
    let root = std::path::Path::new("/out");
    assert_eq!(
        join_under_root(root, "a/b.txt").expect("ok"),
        root.join("a").join("b.txt")
    );
    for bad in ["", "/x", "a/../../x", "a//b", "./a", "a/.", "a\0b"] {
        assert!(join_under_root(root, bad).is_err(), "{bad:?}");
    }
}

#[test]
fn write_atomic_creates_folders_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = join_under_root(dir.path(), "领导活动/10月21日/标题.txt").expect("path");
    let bytes = render_canonical("标题", &["　　正文。"]);
    assert_eq!(
        write_atomic(&path, bytes.as_bytes()).expect("write"),
        WriteOutcome::Written
    );
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(
        write_atomic(&path, bytes.as_bytes()).expect("write"),
        WriteOutcome::Unchanged
    );
    assert_eq!(
        std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        modified
    );
    assert_eq!(
        parse(&std::fs::read(&path).expect("read"))
            .expect("parses")
            .title,
        "标题"
    );
    let other = render_canonical("标题", &["　　改过的正文。"]);
    assert_eq!(
        write_atomic(&path, other.as_bytes()).expect("write"),
        WriteOutcome::Written
    );
    assert_eq!(std::fs::read(&path).expect("read"), other.as_bytes());
    // No temporary files left behind.
    let left: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("dir")
        .flatten()
        .collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn write_atomic_with_a_255_byte_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = jujiao_legacy::file_name(&"长".repeat(120), FileNameMode::Portable, None);
    assert!(name.len() > 250 && name.len() <= 255);
    let path = dir.path().join(&name);
    assert_eq!(
        write_atomic(&path, b"x\n").expect("write"),
        WriteOutcome::Written
    );
}

#[test]
fn read_file_checks_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(matches!(
        jujiao_legacy::read_file(dir.path()),
        Err(Error::NotAFile { .. })
    ));
    let empty = dir.path().join("e.txt");
    std::fs::File::create(&empty).expect("create");
    assert!(matches!(
        jujiao_legacy::read_file(&empty),
        Err(Error::Rejected {
            reason: jujiao_legacy::Rejection::Empty,
            ..
        })
    ));
    let big = dir.path().join("big.txt");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(jujiao_legacy::MAX_FILE_BYTES + 1)
        .expect("sparse file");
    assert!(matches!(
        jujiao_legacy::read_file(&big),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        jujiao_legacy::read_file(&dir.path().join("missing")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn import_strips_running_numbers_only_where_the_title_repeats_the_name() {
    let b = "2二、标题.txt\n<div><span style='x'> 正文</span></div><div>&nbsp;</div>";
    let imp = jujiao_legacy::import("学习刚要/占个位置/2二、标题.txt", b.as_bytes(), None)
        .expect("imports");
    assert_eq!(imp.doc.title, "二、标题");
    assert_eq!(jujiao_legacy::render(&imp.doc), b);
    let b = "2013中国—阿拉伯国家博览会开幕\n  \n正文\n";
    let imp = jujiao_legacy::import(
        "习近平重要讲话/经济/2/222013中国—阿拉伯国家博览会开幕.txt",
        b.as_bytes(),
        None,
    )
    .expect("imports");
    assert_eq!(imp.doc.title, "2013中国—阿拉伯国家博览会开幕");
    assert_eq!(imp.path.running_number.as_deref(), Some("22"));
    let imp = jujiao_legacy::import(
        "领导活动/2019-10-20/2019舞蹈节开幕.txt",
        "2019舞蹈节开幕".as_bytes(),
        None,
    )
    .expect("imports");
    assert_eq!(imp.doc.title, "2019舞蹈节开幕");
}

#[test]
fn recorded_paths_differing_in_case_are_both_kept() {
    let mut a = item(1, "x", "t");
    a.recorded_path = Some("x/Report.txt".into());
    let mut b = item(2, "x", "t");
    b.recorded_path = Some("x/report.txt".into());
    let new = PlanItem {
        date: None,
        ..item(3, "x", "REPORT")
    };
    let got = paths(&Planner::default(), &[a, b, new]);
    assert_eq!(got, ["x/Report.txt", "x/report.txt", "x/REPORT (2).txt"]);
}

#[test]
fn sweep_removes_only_temp_files_left_by_a_killed_writer() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("领导活动/06月11日");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::File::create(sub.join(".jujiao-123-4.tmp")).unwrap();
    std::fs::File::create(sub.join("标题.txt")).unwrap();
    std::fs::File::create(sub.join(".jujiao-notes.txt")).unwrap();
    assert_eq!(jujiao_legacy::sweep_temp_files(dir.path()), 1);
    assert!(sub.join("标题.txt").exists());
    assert!(sub.join(".jujiao-notes.txt").exists());
    assert!(!sub.join(".jujiao-123-4.tmp").exists());
}

/// Regression: a 10 MB page of one-line paragraphs (the hostile scenario
/// "10mb-one-line") was published as a 17 MB file that the reader refused (it read
/// 16 MiB at most): whatever the writer writes, the reader must read.
#[test]
fn a_published_10mb_page_is_read_back() {
    let filler = "区委常委会召开会议，传达学习上级会议精神，研究部署下一阶段重点工作，强调要坚持稳中求进工作总基调，扎实推进各项任务落实。";
    let paragraphs = vec![filler; 10 * 1024 * 1024 / (filler.len() + 7) + 1];
    let text = jujiao_legacy::render_canonical("一行十兆的文章", &paragraphs);
    assert!(text.len() > 16 * 1024 * 1024, "{} bytes", text.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir
        .path()
        .join("测试")
        .join("06月10日")
        .join("一行十兆的文章.txt");
    jujiao_legacy::write_briefing(&path, &text).expect("written");
    let doc = jujiao_legacy::read_file(&path).expect("read back");
    assert_eq!(doc.paragraphs.len(), paragraphs.len());
    assert_eq!(jujiao_legacy::render(&doc), text);
}

#[test]
fn a_briefing_larger_than_the_reader_accepts_is_not_written() {
    let limit = usize::try_from(jujiao_legacy::MAX_FILE_BYTES).expect("fits");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.txt");
    let text = format!("标题\n{}", "x".repeat(limit));
    assert!(matches!(
        jujiao_legacy::write_briefing(&path, &text),
        Err(Error::TooLarge { size, limit: l, .. }) if size == text.len() as u64 && l == jujiao_legacy::MAX_FILE_BYTES
    ));
    assert!(!path.exists());
    let at_limit = &text[..limit];
    jujiao_legacy::write_briefing(&path, at_limit).expect("a file at the limit is written");
    jujiao_legacy::read_bytes(&path).expect("and read");
}
