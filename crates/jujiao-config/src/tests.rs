use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("jujiao.toml"))
}

fn err(text: &str) -> String {
    parse(text).expect_err("must be refused").to_string()
}

#[test]
fn empty_file_gives_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.settings.database, DEFAULT_DATABASE);
    assert_eq!(c.settings.delay, DEFAULT_DELAY);
    assert!(c.settings.respect_robots);
    assert!(!c.settings.allow_private);
    assert!(c.sources.is_empty());
}

#[test]
fn full_html_source_validates() {
    let c = parse(
        r#"
[settings]
delay = "2s"
date_folder = "iso"
[[source]]
id = "cwhd"
name = "常委活动"
column = "领导活动"
list_urls = ["http://example.gov.cn/qwyw/cwhd/"]
pagination = { kind = "trs", pages = 3 }
link = "ul.secList > li > a"
include = ['/t\d{8}_\d+\.html$']
interval = "30m"
[source.article]
body = "div.TRS_Editor p"
drop = ["^责任编辑"]
"#,
    )
    .unwrap();
    assert_eq!(c.settings.delay, Duration::from_secs(2));
    assert_eq!(c.settings.date_folder, DateFolderStyle::Iso);
    let s = &c.sources[0];
    assert_eq!(s.interval, Duration::from_secs(1800));
    let SourceKind::Html(h) = &s.kind else {
        panic!("html source expected")
    };
    assert_eq!(h.pagination, Pagination::Trs { pages: 3 });
    assert_eq!(h.allowed_hosts, vec!["example.gov.cn".to_string()]);
    let ok =
        url::Url::parse("http://example.gov.cn/qwyw/cwhd/202006/t20200610_123456.html").unwrap();
    let other_host = url::Url::parse("http://evil.example/t20200610_1.html").unwrap();
    let not_article = url::Url::parse("http://example.gov.cn/qwyw/cwhd/index_1.html").unwrap();
    assert!(h.is_followed(&ok));
    assert!(!h.is_followed(&other_host));
    assert!(!h.is_followed(&not_article));
}

#[test]
fn trs_pages_follow_index_n_naming() {
    let u = url::Url::parse("http://a.gov.cn/x/tzgg/").unwrap();
    let pages: Vec<String> = Pagination::trs_pages(&u, 3)
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(
        pages,
        [
            "http://a.gov.cn/x/tzgg/",
            "http://a.gov.cn/x/tzgg/index_1.html",
            "http://a.gov.cn/x/tzgg/index_2.html"
        ]
    );
    let u = url::Url::parse("http://a.gov.cn/x/index.html").unwrap();
    assert_eq!(
        Pagination::trs_pages(&u, 2)[1].as_str(),
        "http://a.gov.cn/x/index_1.html"
    );
}

#[test]
fn errors_name_the_key_and_the_problem() {
    let e = err("[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"not a url\"]\n");
    assert!(
        e.contains("jujiao.toml") && e.contains("list_urls[0]") && e.contains("not a URL"),
        "{e}"
    );
    let e = err(
        "[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://x/\"]\ninclude = [\"(\"]\n",
    );
    assert!(e.contains("include[0]") && e.contains("bad pattern"), "{e}");
    let e = err(
        "[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://x/\"]\n[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://y/\"]\n",
    );
    assert!(
        e.contains("source[1]") && e.contains("two sources have this id"),
        "{e}"
    );
    let e = err("[settings]\ndelay = \"soon\"\n");
    assert!(e.contains("settings.delay"), "{e}");
    let e = err(
        "[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://x/\"]\nencoding = \"klingon\"\n",
    );
    assert!(e.contains("encoding") && e.contains("klingon"), "{e}");
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let e = err("[settings]\ndelays = \"1s\"\n");
    assert!(e.contains("delays"), "{e}");
}

#[test]
fn edition_source_needs_a_day_template() {
    let c = parse(
        "[[source]]\nid = \"rmrb\"\nkind = \"edition\"\ncolumn = \"报纸\"\npaper = \"人民日报\"\nedition_url = \"http://paper.example/html/{yyyy}-{mm}/{dd}/node_1.htm\"\n",
    )
    .unwrap();
    let SourceKind::Edition(e) = &c.sources[0].kind else {
        panic!("edition expected")
    };
    let day = chrono::NaiveDate::from_ymd_opt(2020, 8, 4).unwrap();
    assert_eq!(
        e.url_for(day),
        "http://paper.example/html/2020-08/04/node_1.htm"
    );
    let e = err(
        "[[source]]\nid = \"rmrb\"\nkind = \"edition\"\ncolumn = \"报纸\"\nedition_url = \"http://paper.example/today.htm\"\n",
    );
    assert!(e.contains("edition_url") && e.contains("{dd}"), "{e}");
}

#[test]
fn durations_parse_like_people_write_them() {
    assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
    assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
    assert!(parse_duration("1 week").is_err());
    assert!(parse_duration("-1s").is_err());
}

#[test]
fn shipped_example_config_parses() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../jujiao.example.toml"
    ));
    let c = Config::load(path).unwrap();
    assert_eq!(c.sources.len(), 2);
}

#[test]
fn recheck_ages_default_parse_and_are_checked() {
    let base = "[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://a.gov.cn/\"]\n";
    let c = parse(base).unwrap();
    assert_eq!(c.sources[0].recheck, DEFAULT_RECHECK.to_vec());
    assert_eq!(c.sources[0].recheck_per_run, DEFAULT_RECHECK_PER_RUN);

    let c = parse(&format!(
        "{base}recheck = [\"1h\", \"1d\", \"7d\"]\nrecheck_per_run = 5\n"
    ))
    .unwrap();
    assert_eq!(
        c.sources[0].recheck,
        [3600, 86_400, 604_800].map(Duration::from_secs).to_vec()
    );
    assert_eq!(c.sources[0].recheck_per_run, 5);
    assert!(
        parse(&format!("{base}recheck = []\n")).unwrap().sources[0]
            .recheck
            .is_empty()
    );

    let e = err(&format!("{base}recheck = [\"1d\", \"1h\"]\n"));
    assert!(
        e.contains("source[0]") && e.contains(".recheck[1]") && e.contains("ascending"),
        "{e}"
    );
    let e = err(&format!("{base}recheck = [\"soon\"]\n"));
    assert!(e.contains(".recheck[0]"), "{e}");
    let e = err(&format!("{base}recheck = [\"0s\"]\n"));
    assert!(e.contains("longer than 0"), "{e}");
}
