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
    assert_eq!(c.sources.len(), 5);
    assert!(matches!(c.sources[2].kind, SourceKind::Json(_)));
    assert!(matches!(c.sources[3].kind, SourceKind::Form(_)));
    assert!(matches!(c.sources[4].kind, SourceKind::Feed(_)));
}

const JSON_SOURCE: &str = r#"
[[source]]
id = "api"
kind = "json"
column = "c"
endpoint = "http://api.example/list?page={page}&size=20"
max_age = "30d"
[source.json]
items = "data.list[*]"
title = "title"
id = "id"
url_template = "http://api.example/art/{id}.html"
date = "publishTime"
"#;

#[test]
fn json_source_validates_with_paths_and_templates() {
    let c = parse(JSON_SOURCE).unwrap();
    let SourceKind::Json(api) = &c.sources[0].kind else {
        panic!("json expected")
    };
    assert_eq!(api.method, ListMethod::Get);
    assert_eq!(api.url_for(3), "http://api.example/list?page=3&size=20");
    assert_eq!(api.pages, DEFAULT_API_PAGES);
    assert_eq!(api.max_age, Some(Duration::from_secs(30 * 86400)));
    assert_eq!(api.rules.allowed_hosts, ["api.example"]);
    let ItemFormat::Json(items) = &api.items else {
        panic!("json items expected")
    };
    assert_eq!(items.items.steps.len(), 3);
    assert!(matches!(items.url, ItemUrl::Template { .. }));
}

#[test]
fn json_source_errors_name_the_key() {
    let cases = [
        (
            "items = \"data.list[*]\"",
            "items = \"data.list[x]\"",
            "json.items",
        ),
        (
            "url_template = \"http://api.example/art/{id}.html\"",
            "url_template = \"http://api.example/art/\"",
            "json.url_template",
        ),
        ("max_age = \"30d\"", "max_age = \"a month\"", ".max_age"),
        ("max_age = \"30d\"", "body = '{\"p\": {page}}'", ".body"),
        ("max_age = \"30d\"", "method = \"PUT\"", ".method"),
        (
            "max_age = \"30d\"",
            "list_urls = [\"http://x/\"]",
            ".list_urls",
        ),
        ("max_age = \"30d\"", "form = { a = \"1\" }", ".form"),
        ("max_age = \"30d\"", "pages = 0", ".pages"),
        (
            "endpoint = \"http://api.example/list?page={page}&size=20\"",
            "endpoint = \"ftp://x/{page}\"",
            ".endpoint",
        ),
    ];
    for (from, to, key) in cases {
        let text = JSON_SOURCE.replace(from, to);
        assert_ne!(text, JSON_SOURCE, "{from}");
        let e = err(&text);
        assert!(
            e.starts_with("jujiao.toml: source[0] (id \"api\")") && e.contains(key),
            "{to}: {e}"
        );
    }
    let e = err(&JSON_SOURCE.replace("[source.json]", "[source.jsn]"));
    assert!(e.contains("jsn"), "{e}");
    let e = err(&JSON_SOURCE.replace("id = \"id\"\n", ""));
    assert!(
        e.contains("json.url_template") || e.contains("json.url"),
        "{e}"
    );
}

#[test]
fn form_source_posts_fields_and_checks_its_session() {
    let text = r#"
[[source]]
id = "portal"
kind = "form"
column = "通知公告"
endpoint = "http://portal.example/notice/list.do"
form = { infoID = "12", number = "{page}" }
link = "ul a"
[source.session]
url = "http://portal.example/index.do"
login_url = "/login\\.jsp"
"#;
    let c = parse(text).unwrap();
    let SourceKind::Form(api) = &c.sources[0].kind else {
        panic!("form expected")
    };
    assert_eq!(api.method, ListMethod::Post);
    assert_eq!(
        api.body_for(2),
        ListBody::Form(vec![
            ("infoID".into(), "12".into()),
            ("number".into(), "2".into())
        ])
    );
    assert!(api.session.as_ref().unwrap().url.is_some());
    let e = err(&text.replace(r"/login\\.jsp", "(("));
    assert!(
        e.contains("session.login_url") && e.contains("bad pattern"),
        "{e}"
    );
    let e = err(&text.replace("index.do", "index.do\"\nmethd = \"x"));
    assert!(e.contains("methd"), "{e}");
    let e = err(&text.replace(
        "url = \"http://portal.example/index.do\"",
        "url = \"index.do\"",
    ));
    assert!(e.contains("session.url") && e.contains("not a URL"), "{e}");
}

#[test]
fn feed_source_takes_list_urls_and_refuses_list_keys() {
    let text = "[[source]]\nid = \"f\"\nkind = \"feed\"\ncolumn = \"c\"\nlist_urls = [\"http://a.example/rss.xml\"]\n";
    let c = parse(text).unwrap();
    assert!(matches!(c.sources[0].kind, SourceKind::Feed(_)));
    let e = err(&format!("{text}pages = 3\n"));
    assert!(
        e.contains("source[0] (id \"f\").pages") && e.contains("feed sources"),
        "{e}"
    );
    let e = err(&text.replace("list_urls = [\"http://a.example/rss.xml\"]", ""));
    assert!(e.contains("list_urls"), "{e}");
    // and html sources refuse the new keys
    let e = err(
        "[[source]]\nid = \"h\"\ncolumn = \"c\"\nlist_urls = [\"http://x/\"]\nendpoint = \"http://x/\"\n",
    );
    assert!(e.contains("endpoint") && e.contains("html sources"), "{e}");
    let e = err("[[source]]\nid = \"h\"\nkind = \"rss\"\ncolumn = \"c\"\n");
    assert!(e.contains("kind") && e.contains("feed"), "{e}");
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

#[test]
fn admin_token_comes_from_the_web_table_and_is_never_shown() {
    let c = parse("[web]\nadmin_token = \"  k7Qp-2vXz-9mLs  \"\n").unwrap();
    let token = c.web.admin_token.as_ref().expect("set");
    assert_eq!(token.expose(), "k7Qp-2vXz-9mLs");
    let debug = format!("{c:?}");
    assert!(!debug.contains("k7Qp"), "{debug}");
    assert!(debug.contains("Secret(****)"), "{debug}");
    assert!(parse("").unwrap().web.admin_token.is_none());
    // The raw form, too, hides it.
    let raw: raw::RawConfig = toml::from_str("[web]\nadmin_token = \"k7Qp-2vXz-9mLs\"").unwrap();
    assert!(!format!("{raw:?}").contains("k7Qp"));
}

#[test]
fn bad_admin_tokens_are_config_errors_naming_the_key() {
    for (text, reason) in [
        ("\"\"", "is empty"),
        ("\"   \"", "is empty"),
        ("\"short-tok\"", "is too short (9 characters)"),
        ("\"with space inside\"", "contains a space"),
        (
            "\"令牌令牌令牌令牌令牌令牌\"",
            "contains the character U+4EE4",
        ),
    ] {
        let e = err(&format!("[web]\nadmin_token = {text}\n"));
        assert!(e.starts_with("jujiao.toml: web.admin_token: "), "{e}");
        assert!(e.contains(reason), "{e}");
        assert!(!e.contains("short-tok") && !e.contains("inside"), "{e}");
    }
    let e = err("[web]\nadmin_tokn = \"k7Qp-2vXz-9mLs\"\n");
    assert!(e.contains("admin_tokn"), "{e}");
    assert_eq!(check_admin_token(" abcdefghijkl "), Ok("abcdefghijkl"));
}

#[test]
fn shipped_example_admin_token_line_parses_when_uncommented() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../jujiao.example.toml"
    ));
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("\n# admin_token = "),
        "the example documents the key"
    );
    let c = parse(&text.replace("\n# admin_token = ", "\nadmin_token = ")).unwrap();
    assert!(c.web.admin_token.is_some());
}

#[test]
fn invalid_keys_are_named_errors_with_the_file_and_the_key() {
    let two = "[[source]]\nid = \"a\"\ncolumn = \"c\"\nlist_urls = [\"http://x/\"]\n";
    let e = parse(&format!("{two}{two}")).expect_err("two sources share an id");
    let ConfigError::Invalid { path, problem } = &e else {
        panic!("an invalid key expected: {e:?}")
    };
    assert_eq!(path, Path::new("jujiao.toml"));
    assert_eq!(
        problem,
        &KeyError::Duplicate {
            key: "source[1] (id \"a\").id".into(),
            what: "sources",
            field: "id",
        }
    );
    assert_eq!(
        e.to_string(),
        "jujiao.toml: source[1] (id \"a\").id: two sources have this id"
    );

    let e = parse(&JSON_SOURCE.replace("max_age = \"30d\"", "pages = 0")).expect_err("zero pages");
    let ConfigError::Invalid { problem, .. } = &e else {
        panic!("an invalid key expected: {e:?}")
    };
    assert_eq!(problem.key(), "source[0] (id \"api\").pages");
    assert!(matches!(problem, KeyError::Zero { .. }), "{problem:?}");
    assert!(e.to_string().ends_with(".pages: must be at least 1"), "{e}");

    let e = err("[settings]\nmedia_max_file_bytes = 0\n");
    assert_eq!(
        e,
        "jujiao.toml: settings.media_max_file_bytes: must be at least 1 byte"
    );
}
