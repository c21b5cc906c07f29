//! `jujiao user add | list | passwd | disable | enable | role`: the people of the web app
//! (see `jujiao_web::auth`). Passwords are asked for on the terminal without echo, or
//! read as the first line of standard input when it is not a terminal (scripts); they
//! are stored only as argon2id hashes. Every change is written to the audit log as done
//! by `命令行`.

use crate::ExitStatus;
use anyhow::{Context, bail};
use jujiao_store::{AuditEntry, NewUser, Role, Store};
use jujiao_web::auth::{check_password, check_user_name, hash_password};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

/// Who the command line acts as in the audit log.
const CLI_ACTOR: &str = "命令行";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a user (asks for the password; or reads it from stdin when piped).
    Add {
        name: String,
        /// viewer (reads), editor (also changes: run now, compose briefings) or admin
        /// (also the audit log and briefing series).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        db: UserDb,
    },
    /// List the users with their roles.
    List {
        #[command(flatten)]
        db: UserDb,
    },
    /// Set a user's password (ends their sessions).
    Passwd {
        name: String,
        #[command(flatten)]
        db: UserDb,
    },
    /// Disable a user: they can no longer sign in, their sessions end.
    Disable {
        name: String,
        #[command(flatten)]
        db: UserDb,
    },
    /// Enable a disabled user again.
    Enable {
        name: String,
        #[command(flatten)]
        db: UserDb,
    },
    /// Change a user's role.
    Role {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        db: UserDb,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}: use viewer, editor or admin"))
}

/// The database of the users: `--db`, else the sources file's `settings.database`
/// (like `jujiao serve`), else `jujiao.db`.
#[derive(Debug, clap::Args)]
pub struct UserDb {
    /// The sources file (for its `settings.database`).
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    config: PathBuf,
    /// The database; default: `settings.database` of the sources file.
    #[arg(long, env = "JUJIAO_DB")]
    db: Option<String>,
}

impl UserDb {
    async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let db = match &self.db {
            Some(db) => db.clone(),
            None if self.config.exists() => {
                jujiao_config::Config::load(&self.config)?.settings.database
            }
            None => jujiao_store::DEFAULT_DB.to_owned(),
        };
        jujiao_store::open_store(&db)
            .await
            .with_context(|| format!("while opening the database {db}"))
    }
}

/// A new password: twice on a terminal without echo, or the first line of stdin.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{name} 的新密码: "))
            .context("while reading the password")?;
        let again =
            rpassword::prompt_password("再输入一次: ").context("while reading the password")?;
        if first != again {
            bail!("the two passwords differ; nothing changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("while reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    check_password(&password).map_err(|m| anyhow::anyhow!("unusable password: {m}"))?;
    Ok(password)
}

async fn hash(password: String) -> anyhow::Result<jujiao_store::PasswordHash> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("while hashing the password")?
        .map_err(|m| anyhow::anyhow!("while hashing the password: {m}"))
}

pub(crate) async fn audit(
    store: &dyn Store,
    action: &str,
    target: &str,
    detail: &str,
) -> anyhow::Result<()> {
    let entry = AuditEntry {
        user: None,
        actor: CLI_ACTOR.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_owned(),
    };
    store
        .record_audit(&entry, chrono::Utc::now())
        .await
        .context("while writing the audit log")?;
    Ok(())
}

async fn existing(store: &dyn Store, name: &str) -> anyhow::Result<jujiao_store::User> {
    store
        .user_by_name(name)
        .await
        .context("while reading the user")?
        .with_context(|| format!("no user named {name:?} (jujiao user list shows them)"))
}

pub async fn run(command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Add { name, role, db } => {
            check_user_name(&name).map_err(|m| anyhow::anyhow!("unusable user name: {m}"))?;
            let store = db.open().await?;
            if store.user_by_name(&name).await?.is_some() {
                bail!(
                    "a user named {name:?} exists already (jujiao user passwd to change the password)"
                );
            }
            let password_hash = hash(read_new_password(&name)?).await?;
            let added = store
                .add_user(&NewUser {
                    name: name.clone(),
                    role,
                    password_hash,
                })
                .await
                .context("while adding the user")?;
            if added.is_none() {
                bail!("a user named {name:?} exists already");
            }
            audit(
                store.as_ref(),
                "user.add",
                &name,
                &format!("角色 {}", role.label()),
            )
            .await?;
            println!("added {name} ({role})");
        }
        Command::List { db } => {
            let store = db.open().await?;
            let users = store.users().await.context("while listing users")?;
            if users.is_empty() {
                println!("no users yet: jujiao user add NAME --role admin");
            }
            for u in users {
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    u.name,
                    u.role,
                    if u.is_disabled { "disabled" } else { "active" },
                    u.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        Command::Passwd { name, db } => {
            let store = db.open().await?;
            let user = existing(store.as_ref(), &name).await?;
            let password_hash = hash(read_new_password(&name)?).await?;
            store
                .set_password(user.id, &password_hash)
                .await
                .context("while setting the password")?;
            audit(
                store.as_ref(),
                "user.passwd",
                &name,
                "修改密码（会话已全部结束）",
            )
            .await?;
            println!("password of {name} changed; their sessions have ended");
        }
        Command::Disable { name, db } => {
            let store = db.open().await?;
            let user = existing(store.as_ref(), &name).await?;
            store.set_disabled(user.id, true).await?;
            audit(
                store.as_ref(),
                "user.disable",
                &name,
                "停用账号（会话已全部结束）",
            )
            .await?;
            println!("{name} disabled; their sessions have ended");
        }
        Command::Enable { name, db } => {
            let store = db.open().await?;
            let user = existing(store.as_ref(), &name).await?;
            store.set_disabled(user.id, false).await?;
            audit(store.as_ref(), "user.enable", &name, "启用账号").await?;
            println!("{name} enabled");
        }
        Command::Role { name, role, db } => {
            let store = db.open().await?;
            let user = existing(store.as_ref(), &name).await?;
            store.set_role(user.id, role).await?;
            audit(
                store.as_ref(),
                "user.role",
                &name,
                &format!("角色 {} → {}", user.role.label(), role.label()),
            )
            .await?;
            println!("{name} is now {role}");
        }
    }
    Ok(ExitStatus::Ok)
}
