//! E-mail channel: not built in this version (see the crate documentation). A delivery
//! to an e-mail channel fails with this message and waits in the outbox, visible on the
//! 关注 page, until a build that sends mail delivers it.

use crate::message::Message;
use jujiao_config::{Channel, EmailChannel};

pub(crate) async fn send(
    _channel: &Channel,
    _email: &EmailChannel,
    _message: &Message,
) -> Result<(), String> {
    Err("e-mail delivery is not available in this build".to_owned())
}
