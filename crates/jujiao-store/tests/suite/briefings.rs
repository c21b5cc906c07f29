//! The contract for briefing series, drafts and issued issues.

use crate::common::*;
use chrono::NaiveDate;
use jujiao_model::{
    IssueKind, IssuedItem, IssuedSection, IssuedText, ItemMode, Numbering, SeriesSettings,
};
use jujiao_store::{
    ArticleId, Draft, DraftItem, IssueOutcome, IssueQuery, IssueStatus, SaveOutcome, SeriesId,
    Store,
};
use std::sync::Arc;

fn settings(name: &str, numbering: Numbering) -> SeriesSettings {
    SeriesSettings {
        name: name.into(),
        unit: "区委办公室编".into(),
        numbering,
        columns: vec!["领导活动".into(), "本区动态".into()],
        send_to: "区委、区政府领导".into(),
        copy_to: "各街道".into(),
        copies: 30,
    }
}

async fn articles(store: &Arc<dyn Store>, n: usize) -> Vec<ArticleId> {
    let batch: Vec<_> = (0..n)
        .map(|i| {
            record(
                &format!("https://b.example/{i}"),
                &format!("稿件{i}"),
                &["第一段", "第二段"],
            )
        })
        .collect();
    store
        .record_articles(&batch)
        .await
        .unwrap()
        .iter()
        .map(|o| o.article_id())
        .collect()
}

fn draft(date: NaiveDate, ids: &[ArticleId]) -> Draft {
    Draft {
        kind: IssueKind::Regular,
        date,
        columns: vec!["本区动态".into(), "领导活动".into()],
        items: ids
            .iter()
            .enumerate()
            .map(|(i, id)| DraftItem {
                article_id: *id,
                column: if i % 2 == 0 {
                    "领导活动"
                } else {
                    "本区动态"
                }
                .into(),
                title: (i == 0).then(|| "改过的标题".to_owned()),
                mode: match i {
                    0 => ItemMode::Summary {
                        summary: "编者摘要".into(),
                    },
                    1 => ItemMode::First { paragraphs: 1 },
                    _ => ItemMode::Full,
                },
                note: (i == 1).then(|| "按语".to_owned()),
            })
            .collect(),
        send_to: "区委领导".into(),
        copy_to: String::new(),
        copies: 20,
    }
}

fn text_of(d: &Draft) -> IssuedText {
    IssuedText {
        series: "每日简报".into(),
        unit: "区委办公室编".into(),
        kind: IssueKind::Regular,
        number: 0,
        date: d.date,
        is_correction: false,
        sections: d
            .sections()
            .into_iter()
            .map(|(column, items)| IssuedSection {
                column: column.to_owned(),
                items: items
                    .iter()
                    .map(|i| IssuedItem {
                        article_id: i.article_id.0,
                        revision: 1,
                        title: i.title.clone().unwrap_or_else(|| "原题".into()),
                        source: "test".into(),
                        url: String::new(),
                        note: i.note.clone(),
                        is_summary: false,
                        paragraphs: vec!["正文".into()],
                    })
                    .collect(),
            })
            .collect(),
        send_to: d.send_to.clone(),
        copy_to: d.copy_to.clone(),
        copies: d.copies,
    }
}

async fn seeded(store: &Arc<dyn Store>, numbering: Numbering) -> SeriesId {
    assert_eq!(
        store
            .seed_series(&[settings("每日简报", numbering)])
            .await
            .unwrap(),
        1
    );
    store.series_list().await.unwrap()[0].id
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub async fn series_are_seeded_once_and_keep_admin_edits(store: Arc<dyn Store>) {
    let id = seeded(&store, Numbering::Continuous).await;
    let mut edited = settings("每日简报", Numbering::Yearly);
    edited.copies = 45;
    edited.columns = vec!["本区动态".into()];
    assert!(store.update_series(id, &edited, "admin").await.unwrap());
    assert!(
        !store
            .update_series(SeriesId(9999), &edited, "admin")
            .await
            .unwrap()
    );
    // The sources file read again at the next start: the edit stays, new names are added.
    let added = store
        .seed_series(&[
            settings("每日简报", Numbering::Continuous),
            settings("信息专报", Numbering::Continuous),
        ])
        .await
        .unwrap();
    assert_eq!(added, 1);
    let all = store.series_list().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].settings, edited);
    assert_eq!(all[0].updated_by.as_deref(), Some("admin"));
    assert_eq!(all[1].settings.name, "信息专报");
    assert_eq!(all[1].updated_by, None);
}

pub async fn drafts_round_trip_and_refuse_stale_saves(store: Arc<dyn Store>) {
    let series = seeded(&store, Numbering::Continuous).await;
    let ids = articles(&store, 4).await;
    let first = draft(d(2026, 12, 6), &ids[..3]);
    let issue = store
        .create_draft(series, &first, "编辑甲")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.status, IssueStatus::Draft);
    assert_eq!(issue.draft, first);
    assert_eq!((issue.version, issue.created_by.as_str()), (1, "编辑甲"));
    assert!(issue.issued.is_none());
    assert!(
        store
            .create_draft(SeriesId(777), &first, "x")
            .await
            .unwrap()
            .is_none()
    );

    // 甲 reorders and saves; 乙, still on version 1, is refused and told who saved.
    let mut second = first.clone();
    second.items.swap(0, 2);
    second.items.push(DraftItem {
        article_id: ids[3],
        column: "本区动态".into(),
        title: None,
        mode: ItemMode::Full,
        note: None,
    });
    assert_eq!(
        store
            .save_draft(issue.id, 1, &second, "编辑甲")
            .await
            .unwrap(),
        SaveOutcome::Saved { version: 2 }
    );
    let stale = store
        .save_draft(issue.id, 1, &first, "编辑乙")
        .await
        .unwrap();
    let SaveOutcome::Conflict { version, by, .. } = stale else {
        panic!("expected a conflict, got {stale:?}");
    };
    assert_eq!((version, by.as_str()), (2, "编辑甲"));
    let read = store.issue(issue.id).await.unwrap().unwrap();
    assert_eq!(read.draft, second);
    assert_eq!((read.version, read.updated_by.as_str()), (2, "编辑甲"));

    let sections = read.draft.sections();
    assert_eq!(sections[0].0, "本区动态");
    assert_eq!(sections[1].0, "领导活动");
    assert_eq!(sections[0].1.len(), 2);

    let listed = store.issues(&IssueQuery::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].items, listed[0].number), (4, None));
    assert_eq!(
        store
            .save_draft(jujiao_store::IssueId(4242), 1, &first, "x")
            .await
            .unwrap(),
        SaveOutcome::NotFound
    );
    // Deleting a draft needs the current version too.
    assert!(matches!(
        store.delete_draft(issue.id, 1).await.unwrap(),
        SaveOutcome::Conflict { .. }
    ));
    assert_eq!(
        store.delete_draft(issue.id, 2).await.unwrap(),
        SaveOutcome::Saved { version: 2 }
    );
    assert!(store.issue(issue.id).await.unwrap().is_none());
}

pub async fn issuing_numbers_and_freezes(store: Arc<dyn Store>) {
    let series = seeded(&store, Numbering::Continuous).await;
    let ids = articles(&store, 3).await;
    let one = draft(d(2026, 12, 6), &ids);
    let a = store
        .create_draft(series, &one, "甲")
        .await
        .unwrap()
        .unwrap();
    let b = store
        .create_draft(series, &one, "乙")
        .await
        .unwrap()
        .unwrap();
    // A stale version does not issue.
    assert!(matches!(
        store
            .issue_draft(a.id, 7, &text_of(&one), "甲")
            .await
            .unwrap(),
        IssueOutcome::Conflict { .. }
    ));
    let out = store
        .issue_draft(a.id, 1, &text_of(&one), "甲")
        .await
        .unwrap();
    let IssueOutcome::Issued {
        number,
        correction,
        text,
    } = out
    else {
        panic!("{out:?}");
    };
    assert_eq!((number, correction, text.number), (1, 0, 1));
    let out = store
        .issue_draft(b.id, 1, &text_of(&one), "乙")
        .await
        .unwrap();
    assert!(
        matches!(out, IssueOutcome::Issued { number: 2, .. }),
        "{out:?}"
    );

    // Frozen: no save, no second issuing, no delete.
    let issued = store.issue(a.id).await.unwrap().unwrap();
    assert_eq!(issued.status, IssueStatus::Issued);
    let facts = issued.issued.clone().unwrap();
    assert_eq!((facts.number, facts.by.as_str()), (1, "甲"));
    assert_eq!(facts.text.number_label(), "第1期");
    assert_eq!(facts.article_mark, ids[2].0);
    assert_eq!(
        store
            .save_draft(a.id, issued.version, &one, "甲")
            .await
            .unwrap(),
        SaveOutcome::Frozen
    );
    assert_eq!(
        store
            .issue_draft(a.id, issued.version, &text_of(&one), "甲")
            .await
            .unwrap(),
        IssueOutcome::Frozen
    );
    assert_eq!(
        store.delete_draft(a.id, issued.version).await.unwrap(),
        SaveOutcome::Frozen
    );

    // A revision of an article leaves the stored text alone.
    store
        .record_articles(&[record("https://b.example/0", "稿件0", &["改写后的第一段"])])
        .await
        .unwrap();
    assert_eq!(
        store
            .issue(a.id)
            .await
            .unwrap()
            .unwrap()
            .issued
            .unwrap()
            .text,
        facts.text
    );

    // A supplement is numbered apart.
    let mut extra = one.clone();
    extra.kind = IssueKind::Supplement;
    let s = store
        .create_draft(series, &extra, "甲")
        .await
        .unwrap()
        .unwrap();
    let out = store
        .issue_draft(s.id, 1, &text_of(&extra), "甲")
        .await
        .unwrap();
    let IssueOutcome::Issued { number, text, .. } = out else {
        panic!("{out:?}");
    };
    assert_eq!((number, text.number_label().as_str()), (1, "增刊第1期"));

    // Used articles are found, latest issue first.
    let uses = store.article_uses(series, &ids[..1]).await.unwrap();
    assert_eq!(uses.len(), 3);
    assert_eq!(uses[0].issue, s.id);
    assert!(
        store
            .article_uses(SeriesId(999), &ids)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn corrections_are_new_versions_under_the_same_number(store: Arc<dyn Store>) {
    let series = seeded(&store, Numbering::Continuous).await;
    let ids = articles(&store, 2).await;
    let one = draft(d(2026, 12, 6), &ids);
    let a = store
        .create_draft(series, &one, "甲")
        .await
        .unwrap()
        .unwrap();
    store
        .issue_draft(a.id, 1, &text_of(&one), "甲")
        .await
        .unwrap();
    assert!(
        store
            .start_correction(jujiao_store::IssueId(999), "甲")
            .await
            .unwrap()
            .is_none()
    );
    let fix = store.start_correction(a.id, "乙").await.unwrap().unwrap();
    assert_eq!((fix.corrects, fix.status), (Some(a.id), IssueStatus::Draft));
    assert_eq!(fix.draft, one);
    // A correction is not a draft of an issued issue: it cannot start from a draft.
    assert!(
        store
            .start_correction(fix.id, "乙")
            .await
            .unwrap()
            .is_none()
    );
    let mut fixed = one.clone();
    fixed.items[0].title = Some("更正后的标题".into());
    store.save_draft(fix.id, 1, &fixed, "乙").await.unwrap();
    let out = store
        .issue_draft(fix.id, 2, &text_of(&fixed), "乙")
        .await
        .unwrap();
    let IssueOutcome::Issued {
        number,
        correction,
        text,
    } = out
    else {
        panic!("{out:?}");
    };
    assert_eq!((number, correction), (1, 1));
    assert!(text.is_correction);
    assert_eq!(text.number_label(), "第1期（更正）");
    // The original is untouched; the next regular issue is still 第2期.
    let original = store.issue(a.id).await.unwrap().unwrap().issued.unwrap();
    assert!(!original.text.is_correction);
    let b = store
        .create_draft(series, &one, "甲")
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store
            .issue_draft(b.id, 1, &text_of(&one), "甲")
            .await
            .unwrap(),
        IssueOutcome::Issued {
            number: 2,
            correction: 0,
            ..
        }
    ));
    // A second correction (started from the first) counts on.
    let again = store.start_correction(fix.id, "乙").await.unwrap().unwrap();
    assert_eq!(again.corrects, Some(a.id));
    assert!(matches!(
        store
            .issue_draft(again.id, 1, &text_of(&one), "乙")
            .await
            .unwrap(),
        IssueOutcome::Issued {
            number: 1,
            correction: 2,
            ..
        }
    ));
}

pub async fn yearly_numbering_starts_again_each_year(store: Arc<dyn Store>) {
    let series = seeded(&store, Numbering::Yearly).await;
    let ids = articles(&store, 1).await;
    let mut numbers = Vec::new();
    for date in [
        d(2026, 12, 30),
        d(2026, 12, 31),
        d(2027, 1, 2),
        d(2027, 1, 3),
    ] {
        let one = draft(date, &ids);
        let x = store
            .create_draft(series, &one, "甲")
            .await
            .unwrap()
            .unwrap();
        match store
            .issue_draft(x.id, 1, &text_of(&one), "甲")
            .await
            .unwrap()
        {
            IssueOutcome::Issued { number, .. } => numbers.push(number),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(numbers, [1, 2, 1, 2]);
}

pub async fn issued_issues_are_searchable(store: Arc<dyn Store>) {
    let series = seeded(&store, Numbering::Continuous).await;
    let ids = articles(&store, 2).await;
    let one = draft(d(2026, 12, 6), &ids);
    let a = store
        .create_draft(series, &one, "甲")
        .await
        .unwrap()
        .unwrap();
    let mut text = text_of(&one);
    text.sections[0].items[0].paragraphs = vec!["推进100%_覆盖的垃圾分类".into()];
    store.issue_draft(a.id, 1, &text, "甲").await.unwrap();
    let _draft = store
        .create_draft(series, &one, "甲")
        .await
        .unwrap()
        .unwrap();
    let find = |t: &str| {
        let store = store.clone();
        let t = t.to_owned();
        async move {
            store
                .issues(&IssueQuery {
                    text: Some(t),
                    ..IssueQuery::default()
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(find("垃圾分类").await.len(), 1);
    assert_eq!(find("100%_覆盖").await.len(), 1);
    // `%` and `_` are literal, not wildcards.
    assert_eq!(find("推进1_0").await.len(), 0);
    assert_eq!(find("不存在的词").await.len(), 0);
    let issued = store
        .issues(&IssueQuery {
            status: Some(IssueStatus::Issued),
            series: Some(series),
            ..IssueQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].number, Some(1));
    assert_eq!(store.issues(&IssueQuery::default()).await.unwrap().len(), 2);
}
