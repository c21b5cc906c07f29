//! Searching a small index of Chinese articles: matching, ranking, filters, order,
//! paging, upserts, safe snippets and odd input.

use chrono::NaiveDate;
use jujiao_search::{IndexDoc, Order, SearchIndex, SearchQuery, SearchResults};

fn day(d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2024, 10, d)
}

fn doc(
    id: i64,
    title: &str,
    body: &str,
    column: &str,
    source: &str,
    date: Option<NaiveDate>,
) -> IndexDoc {
    IndexDoc {
        article_id: id,
        title: title.into(),
        body: body.into(),
        column: column.into(),
        source: source.into(),
        date,
        url: format!("https://example.invalid/a/{id}.html"),
        attachments_text: None,
        disclosure: None,
    }
}

fn corpus() -> Vec<IndexDoc> {
    vec![
        doc(
            1,
            "区委常委会召开会议 研究疫情防控工作",
            "10月15日，区委书记于军主持召开区委常委会会议。\n会议强调，要毫不放松抓好疫情防控各项工作。",
            "领导活动",
            "hdnews",
            day(15),
        ),
        doc(
            2,
            "中关村科学城加快建设5G网络",
            "中关村科学城今年新建５Ｇ基站300个，覆盖主要园区。",
            "区内动态",
            "hdgov",
            day(16),
        ),
        doc(
            3,
            "关于军民融合发展的通知",
            "各单位：现将关于军队转业干部安置工作的有关事项通知如下。",
            "通知公告",
            "hdgov",
            day(14),
        ),
        doc(
            4,
            "社区志愿者服务站开放",
            "志愿者参与疫情防控。疫情防控期间，社区坚持疫情防控常态化，居民积极配合。",
            "区内动态",
            "hdnews",
            day(17),
        ),
        doc(
            5,
            "网页安全测试<b>加粗</b>",
            "正文含有脚本<script>alert('疫情')</script>与符号 & \"引号\"。",
            "区内动态",
            "hdnews",
            None,
        ),
        doc(
            6,
            "科学城举办创新论坛",
            "论坛在中关村举行，围绕科技创新展开讨论。",
            "区内动态",
            "hdnews",
            day(13),
        ),
    ]
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().expect("memory index");
    index.index(&corpus()).expect("index");
    index.commit().expect("commit");
    index
}

#[allow(clippy::needless_pass_by_value)] // reads better at the many call sites
fn search(index: &SearchIndex, q: SearchQuery) -> SearchResults {
    index.search(&q).expect("search")
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.article_id).collect()
}

fn sorted_ids(r: &SearchResults) -> Vec<i64> {
    let mut v = ids(r);
    v.sort_unstable();
    v
}

#[test]
fn chinese_queries_find_the_right_articles() {
    let idx = index();
    let q = |t: &str| sorted_ids(&search(&idx, SearchQuery::new(t)));
    assert_eq!(q("区委常委会"), [1]);
    assert_eq!(q("疫情防控"), [1, 4]);
    assert_eq!(q("中关村 科学城"), [2, 6]);
    assert_eq!(
        q("\"中关村 科学城\""),
        [2],
        "a quoted phrase must be contiguous"
    );
    assert_eq!(q("5G"), [2]);
    assert_eq!(q("５ｇ"), [2], "full-width and lower case match 5G");
    assert_eq!(q("基站"), [2]);
    assert_eq!(q("淀"), Vec::<i64>::new());
    assert_eq!(q("论"), [6], "a single character finds words containing it");
    assert_eq!(q("疫情 -社区"), [1, 5]);
    assert_eq!(q("基站 OR 论坛"), [2, 6]);
}

#[test]
fn a_name_ranks_above_the_same_characters_across_words() {
    let idx = index();
    let r = search(&idx, SearchQuery::new("于军"));
    assert_eq!(sorted_ids(&r), [1, 3], "substring recall includes 关于军…");
    assert_eq!(r.hits[0].article_id, 1, "{r:#?}");
}

#[test]
fn title_hits_rank_above_body_only_hits() {
    let idx = index();
    // Article 4 says 疫情防控 three times in its body, article 1 once in its title.
    let r = search(&idx, SearchQuery::new("疫情防控"));
    assert_eq!(ids(&r), [1, 4], "{r:#?}");
    assert!(r.hits[0].score > r.hits[1].score);
    let r = search(&idx, SearchQuery::new("科学城"));
    assert_eq!(ids(&r)[..2], [2, 6]);
}

#[test]
fn filters_are_exact_and_combine() {
    let idx = index();
    let mut q = SearchQuery::new("");
    q.column = Some("区内动态".into());
    assert_eq!(sorted_ids(&search(&idx, q.clone())), [2, 4, 5, 6]);
    q.source = Some("hdnews".into());
    assert_eq!(sorted_ids(&search(&idx, q.clone())), [4, 5, 6]);
    q.since = day(14);
    assert_eq!(
        sorted_ids(&search(&idx, q.clone())),
        [4],
        "undated excluded by a range"
    );
    q.column = Some("区内".into());
    assert_eq!(search(&idx, q).total, 0, "column is exact, not a prefix");

    let mut q = SearchQuery::new("疫情");
    q.since = day(15);
    q.until = day(15);
    assert_eq!(ids(&search(&idx, q)), [1], "both bounds inclusive");
}

#[test]
fn newest_order_is_by_date_then_id_undated_last() {
    let idx = index();
    let mut q = SearchQuery::new("");
    q.order = Order::Newest;
    assert_eq!(ids(&search(&idx, q.clone())), [4, 2, 1, 3, 6, 5]);
    q.text = "疫情".into();
    assert_eq!(ids(&search(&idx, q)), [4, 1, 5]);
}

#[test]
fn paging_covers_every_hit_once() {
    let idx = index();
    let mut q = SearchQuery::new("");
    q.order = Order::Newest;
    q.limit = 4;
    let first = search(&idx, q.clone());
    q.offset = 4;
    let second = search(&idx, q.clone());
    assert_eq!((first.total, second.total), (6, 6));
    assert_eq!(ids(&first), [4, 2, 1, 3]);
    assert_eq!(ids(&second), [6, 5]);
    q.offset = 10;
    assert!(search(&idx, q).hits.is_empty());
}

#[test]
fn reindexing_an_article_replaces_it() {
    let idx = index();
    let mut changed = corpus().remove(0);
    changed.title = "区委常委会研究城市更新".into();
    changed.body = "会议研究了城市更新工作。".into();
    idx.index(std::slice::from_ref(&changed)).expect("index");
    idx.index(std::slice::from_ref(&changed))
        .expect("index twice in one commit");
    idx.commit().expect("commit");
    assert_eq!(idx.num_docs(), 6);
    assert_eq!(sorted_ids(&search(&idx, SearchQuery::new("疫情防控"))), [4]);
    let r = search(&idx, SearchQuery::new("城市更新"));
    assert_eq!(ids(&r), [1]);
    assert_eq!(r.hits[0].title, "区委常委会研究城市更新");

    idx.delete(1).expect("delete");
    idx.commit().expect("commit");
    assert_eq!(search(&idx, SearchQuery::new("城市更新")).total, 0);
    assert_eq!(idx.num_docs(), 5);
}

#[test]
fn hits_carry_fields_and_marked_snippets() {
    let idx = index();
    let r = search(&idx, SearchQuery::new("疫情防控"));
    let h = &r.hits[0];
    assert_eq!(
        jujiao_search::marked_html(&h.title, &h.title_marks),
        "区委常委会召开会议 研究<mark>疫情防控</mark>工作"
    );
    assert!(
        jujiao_search::marked_html(&h.snippet, &h.snippet_marks)
            .contains("抓好<mark>疫情防控</mark>各项工作"),
        "{}",
        jujiao_search::marked_html(&h.snippet, &h.snippet_marks)
    );
    assert!(!jujiao_search::marked_html(&h.snippet, &h.snippet_marks).contains('\n'));
    assert_eq!(
        (h.column.as_str(), h.source.as_str(), h.date),
        ("领导活动", "hdnews", day(15))
    );
    assert_eq!(h.url, "https://example.invalid/a/1.html");
}

#[test]
fn snippets_and_titles_are_html_safe() {
    let idx = index();
    let r = search(&idx, SearchQuery::new("疫情 测试"));
    assert_eq!(ids(&r), [5]);
    let h = &r.hits[0];
    assert_eq!(
        jujiao_search::marked_html(&h.title, &h.title_marks),
        "网页安全<mark>测试</mark>&lt;b&gt;加粗&lt;/b&gt;"
    );
    assert_eq!(
        jujiao_search::marked_html(&h.snippet, &h.snippet_marks),
        "正文含有脚本&lt;script&gt;alert(&#39;<mark>疫情</mark>&#39;)&lt;/script&gt;与符号 &amp; &quot;引号&quot;。"
    );
    // The hit itself is plain text; the marks point at what matched.
    assert!(
        h.snippet.contains("<script>alert('疫情')</script>"),
        "{}",
        h.snippet
    );
    assert_eq!(&h.snippet[h.snippet_marks[0].clone()], "疫情");
    assert_eq!(h.title, "网页安全测试<b>加粗</b>");
    // Markup typed into the query is not markup in the result either.
    let r = search(&idx, SearchQuery::new("<script>"));
    assert_eq!(ids(&r), [5]);
    assert!(
        !jujiao_search::marked_html(&r.hits[0].snippet, &r.hits[0].snippet_marks)
            .contains("<script"),
        "{}",
        jujiao_search::marked_html(&r.hits[0].snippet, &r.hits[0].snippet_marks)
    );
}

#[test]
fn odd_query_syntax_never_errors() {
    let idx = index();
    for text in [
        "\"",
        "\"\"",
        ":",
        "(",
        ")",
        "-",
        "--",
        "AND",
        "OR",
        "NOT",
        "疫情 AND",
        "OR 疫情",
        "title:疫情",
        "疫情)",
        "(疫情",
        "+疫情",
        "疫情^2",
        "疫情~",
        "*",
        "?",
        "[1 TO 5]",
        "\\",
        "“",
        "”",
        "-疫情",
        "- 疫情",
        "疫情 -",
        "\u{0}",
        "　",
        "😀",
        "a".repeat(5000).as_str(),
    ] {
        let r = idx.search(&SearchQuery::new(text));
        assert!(r.is_ok(), "{text:?}: {r:?}");
    }
    assert_eq!(
        sorted_ids(&search(&idx, SearchQuery::new("(疫情)"))),
        [1, 4, 5]
    );
    assert_eq!(
        sorted_ids(&search(&idx, SearchQuery::new("疫情 AND 防控"))),
        [1, 4]
    );
    // Only exclusions: everything else.
    assert_eq!(
        sorted_ids(&search(&idx, SearchQuery::new("-疫情"))),
        [2, 3, 6]
    );
}

#[test]
fn attachments_text_is_searchable() {
    let idx = SearchIndex::in_memory().expect("memory index");
    let mut d = doc(9, "附件通知", "详见附件。", "通知公告", "hdgov", day(1));
    d.attachments_text = Some("城市更新专项资金管理办法".into());
    idx.index(&[d]).expect("index");
    idx.commit().expect("commit");
    assert_eq!(ids(&search(&idx, SearchQuery::new("专项资金"))), [9]);
}

/// Issue 15: a 发文字号 finds its document even when the body does not repeat it; the
/// issuer and the validity of the disclosure table are exact filters.
#[test]
fn disclosure_doc_number_is_searchable_and_issuer_and_validity_filter() {
    let idx = SearchIndex::in_memory().expect("memory index");
    let table = |doc_number: &str, issuer: &str, validity: &str| jujiao_model::Disclosure {
        doc_number: Some(doc_number.into()),
        issuer: Some(issuer.into()),
        validity: Some(validity.into()),
        index_no: Some(format!("11110108000016063X/2024-{doc_number}")),
        ..jujiao_model::Disclosure::default()
    };
    let mut a = doc(
        21,
        "关于印发重点工作任务的通知",
        "现将任务印发给你们。",
        "通知公告",
        "hdgov",
        day(5),
    );
    a.disclosure = Some(table(
        "京海政发〔2024〕1号",
        "北京市海淀区人民政府",
        "现行有效",
    ));
    let mut b = doc(
        22,
        "关于废止部分规范性文件的通知",
        "决定废止下列文件。",
        "通知公告",
        "hdgov",
        day(6),
    );
    b.disclosure = Some(table(
        "京海政办发〔2023〕7号",
        "北京市海淀区人民政府办公室",
        "废止",
    ));
    let mut c = doc(
        23,
        "关于印发工作要点的通知",
        "现将要点印发。",
        "通知公告",
        "hdgov",
        day(7),
    );
    c.disclosure = Some(table(
        "京海政发〔2024〕11号",
        "北京市海淀区人民政府",
        "失效",
    ));
    let plain = doc(
        24,
        "区政府召开常务会议",
        "会议研究京海政发有关事项。",
        "区内动态",
        "hdgov",
        day(8),
    );
    idx.index(&[a, b, c, plain]).expect("index");
    idx.commit().expect("commit");

    assert_eq!(
        ids(&search(&idx, SearchQuery::new("京海政发〔2024〕1号"))),
        [21]
    );
    assert_eq!(
        ids(&search(&idx, SearchQuery::new("京海政办发〔2023〕7号"))),
        [22]
    );
    let mut q = SearchQuery::new("");
    q.issuer = Some("北京市海淀区人民政府".into());
    assert_eq!(sorted_ids(&search(&idx, q.clone())), [21, 23]);
    q.validity = Some("失效".into());
    assert_eq!(sorted_ids(&search(&idx, q)), [23]);
    let mut q = SearchQuery::new("通知");
    q.validity = Some("废止".into());
    assert_eq!(ids(&search(&idx, q)), [22]);
}

#[test]
fn limit_is_capped_and_zero_counts_only() {
    let idx = index();
    let mut q = SearchQuery::new("");
    q.limit = 0;
    let r = search(&idx, q.clone());
    assert_eq!((r.total, r.hits.len()), (6, 0));
    q.limit = usize::MAX;
    assert_eq!(search(&idx, q).hits.len(), 6);
}

/// tantivy 0.27 asserts when a phrase query is a `MustNot` clause and the first
/// candidate precedes the phrase's first match; one commit per article makes that
/// layout certain.
#[test]
fn excluding_a_phrase_works_in_every_segment_layout() {
    let idx = SearchIndex::in_memory().expect("memory index");
    for d in corpus() {
        idx.index(&[d]).expect("index");
        idx.commit().expect("commit");
    }
    let q = |t: &str| sorted_ids(&search(&idx, SearchQuery::new(t)));
    assert_eq!(q("-疫情防控"), [2, 3, 5, 6]);
    assert_eq!(q("疫情 -社区"), [1, 5]);
    assert_eq!(q("区内 OR 中关村 -科学城 -志愿者"), Vec::<i64>::new());
    assert_eq!(q("中关村 -\"中关村科学城\""), [6]);
}
