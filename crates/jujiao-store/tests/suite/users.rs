//! The contract for users, sessions, login attempts and the audit log (`UserStore`).

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jujiao_store::{
    AuditEntry, LoginAttempt, NewSession, NewUser, PasswordHash, Role, SessionKey, Store,
};
use std::sync::Arc;

fn base() -> DateTime<Utc> {
    // Millisecond precision: what the store keeps.
    Utc.timestamp_millis_opt(Utc::now().timestamp_millis())
        .unwrap()
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        password_hash: PasswordHash(format!("$argon2id$v=19$m=19456,t=2,p=1$hash-of-{name}")),
    }
}

fn session(key: &str, user: jujiao_store::UserId, at: DateTime<Utc>) -> NewSession {
    NewSession {
        key: SessionKey(key.into()),
        user,
        csrf_token: format!("csrf-{key}"),
        created_at: at,
        expires_at: at + Span::hours(12),
    }
}

pub async fn users_are_added_once_and_changed(store: Arc<dyn Store>) {
    let id = store
        .add_user(&new_user("张编辑", Role::Editor))
        .await
        .unwrap()
        .expect("a new name");
    assert_eq!(
        store
            .add_user(&new_user("张编辑", Role::Admin))
            .await
            .unwrap(),
        None,
        "a taken name adds nothing"
    );
    store
        .add_user(&new_user("admin", Role::Admin))
        .await
        .unwrap()
        .unwrap();
    let u = store.user_by_name("张编辑").await.unwrap().unwrap();
    assert_eq!((u.id, u.role, u.is_disabled), (id, Role::Editor, false));
    assert_eq!(
        u.password_hash,
        new_user("张编辑", Role::Editor).password_hash
    );
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["admin", "张编辑"]);

    assert!(store.set_role(id, Role::Viewer).await.unwrap());
    assert!(store.set_disabled(id, true).await.unwrap());
    let u = store.user_by_name("张编辑").await.unwrap().unwrap();
    assert_eq!((u.role, u.is_disabled), (Role::Viewer, true));
    assert!(store.set_disabled(id, false).await.unwrap());
    let new_hash = PasswordHash("$argon2id$new".into());
    assert!(store.set_password(id, &new_hash).await.unwrap());
    assert_eq!(
        store
            .user_by_name("张编辑")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        new_hash
    );
    let unknown = jujiao_store::UserId(9_999_999);
    assert!(!store.set_password(unknown, &new_hash).await.unwrap());
    assert!(!store.set_disabled(unknown, true).await.unwrap());
    assert!(!store.set_role(unknown, Role::Admin).await.unwrap());
}

pub async fn sessions_live_until_ended_and_end_with_their_user(store: Arc<dyn Store>) {
    let t = base();
    let ed = store
        .add_user(&new_user("ed", Role::Editor))
        .await
        .unwrap()
        .unwrap();
    let vi = store
        .add_user(&new_user("vi", Role::Viewer))
        .await
        .unwrap()
        .unwrap();
    store.start_session(&session("k1", ed, t)).await.unwrap();
    store.start_session(&session("k2", ed, t)).await.unwrap();
    store.start_session(&session("k3", vi, t)).await.unwrap();

    let s = store
        .session(&SessionKey("k1".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.name, "ed");
    assert_eq!(s.user.role, Role::Editor);
    assert_eq!(s.csrf_token, "csrf-k1");
    assert_eq!((s.created_at, s.last_seen_at), (t, t));
    assert_eq!(s.expires_at, t + Span::hours(12));
    assert!(
        store
            .session(&SessionKey("nope".into()))
            .await
            .unwrap()
            .is_none()
    );

    // Touching only moves forward.
    store
        .touch_session(&SessionKey("k1".into()), t + Span::minutes(5))
        .await
        .unwrap();
    store
        .touch_session(&SessionKey("k1".into()), t + Span::minutes(1))
        .await
        .unwrap();
    let s = store
        .session(&SessionKey("k1".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_seen_at, t + Span::minutes(5));

    store.end_session(&SessionKey("k1".into())).await.unwrap();
    store.end_session(&SessionKey("k1".into())).await.unwrap();
    assert!(
        store
            .session(&SessionKey("k1".into()))
            .await
            .unwrap()
            .is_none()
    );

    // A new password ends all of the user's sessions, not others'.
    store
        .set_password(ed, &PasswordHash("$argon2id$x".into()))
        .await
        .unwrap();
    assert!(
        store
            .session(&SessionKey("k2".into()))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session(&SessionKey("k3".into()))
            .await
            .unwrap()
            .is_some()
    );
    // So does disabling.
    store.set_disabled(vi, true).await.unwrap();
    assert!(
        store
            .session(&SessionKey("k3".into()))
            .await
            .unwrap()
            .is_none()
    );

    // Pruning: past the absolute end, or idle too long.
    store
        .start_session(&session("old", ed, t - Span::hours(13)))
        .await
        .unwrap();
    store
        .start_session(&session("idle", ed, t - Span::hours(3)))
        .await
        .unwrap();
    store.start_session(&session("fresh", ed, t)).await.unwrap();
    let gone = store
        .prune_sessions(t, t - Span::hours(2), t - Span::days(7))
        .await
        .unwrap();
    assert_eq!(gone, 2);
    assert!(
        store
            .session(&SessionKey("fresh".into()))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session(&SessionKey("idle".into()))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn failed_logins_count_per_account_and_address(store: Arc<dyn Store>) {
    let t = base();
    let attempt = |name: &str, address: &str, at, is_success| LoginAttempt {
        name: name.into(),
        address: address.into(),
        at,
        is_success,
    };
    for i in 0..3 {
        store
            .record_login_attempt(&attempt("ed", "10.0.0.1", t + Span::seconds(i), false))
            .await
            .unwrap();
    }
    store
        .record_login_attempt(&attempt("other", "10.0.0.1", t + Span::seconds(5), false))
        .await
        .unwrap();
    store
        .record_login_attempt(&attempt("ed", "10.0.0.2", t + Span::seconds(6), false))
        .await
        .unwrap();
    let f = store.login_failures("ed", "10.0.0.1", t).await.unwrap();
    assert_eq!(f.account, 4);
    assert_eq!(f.account_last, Some(t + Span::seconds(6)));
    assert_eq!(f.address, 4);
    assert_eq!(f.address_last, Some(t + Span::seconds(5)));
    // The window: only since `since`.
    let f = store
        .login_failures("ed", "10.0.0.1", t + Span::seconds(2))
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (2, 2));
    // A success clears the account's count, not the address's.
    store
        .record_login_attempt(&attempt("ed", "10.0.0.1", t + Span::seconds(7), true))
        .await
        .unwrap();
    let f = store.login_failures("ed", "10.0.0.1", t).await.unwrap();
    assert_eq!((f.account, f.account_last), (0, None));
    assert_eq!(f.address, 4);
    // Regression: a failure in the same millisecond as the success, after it, counts
    // (order by id, not time: a paused clock failed to lock an account that had just
    // signed in successfully).
    store
        .record_login_attempt(&attempt("ed", "10.0.0.1", t + Span::seconds(7), false))
        .await
        .unwrap();
    let f = store.login_failures("ed", "10.0.0.1", t).await.unwrap();
    assert_eq!((f.account, f.account_last), (1, Some(t + Span::seconds(7))));
    let f = store.login_failures("nobody", "10.9.9.9", t).await.unwrap();
    assert_eq!(f, jujiao_store::LoginFailures::default());
    // Old attempts are forgotten by pruning.
    store
        .prune_sessions(t, t, t + Span::seconds(100))
        .await
        .unwrap();
    assert_eq!(
        store
            .login_failures("ed", "10.0.0.1", t)
            .await
            .unwrap()
            .address,
        0
    );
}

pub async fn the_audit_log_keeps_who_when_what_newest_first(store: Arc<dyn Store>) {
    let t = base();
    let ed = store
        .add_user(&new_user("ed", Role::Editor))
        .await
        .unwrap()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let entry = AuditEntry {
            user: (i % 2 == 0).then_some(ed),
            actor: if i % 2 == 0 {
                "ed".into()
            } else {
                "管理令牌".into()
            },
            action: "source.run".into(),
            target: format!("src{i}"),
            detail: "立即运行".into(),
        };
        ids.push(
            store
                .record_audit(&entry, t + Span::seconds(i))
                .await
                .unwrap(),
        );
    }
    let all = store.audit_log(10, None).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].entry.target, "src4");
    assert_eq!(all[0].at, t + Span::seconds(4));
    assert_eq!(all[0].entry.user, Some(ed));
    assert_eq!(all[1].entry.user, None);
    assert_eq!(all[1].entry.actor, "管理令牌");
    let page = store.audit_log(2, Some(all[1].id)).await.unwrap();
    let targets: Vec<&str> = page.iter().map(|r| r.entry.target.as_str()).collect();
    assert_eq!(targets, ["src2", "src1"]);
    assert_eq!(ids.len(), 5);
}
