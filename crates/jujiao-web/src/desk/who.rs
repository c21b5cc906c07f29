//! Who is at the desk: the signed-in user's extractors and the audit log, from
//! [`crate::auth`] — composing and issuing need an editor ([`EditorUser`]), series an
//! admin ([`AdminUser`]); the CSRF check of every change runs in the auth layer before
//! any handler.

pub(crate) use crate::auth::{AdminUser, CurrentUser, EditorUser, MaybeUser, audit};
