use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, WebhookId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: WebhookId,
    pub organisation_id: OrganisationId,
    pub url: String,
    /// The notice kinds it wants: a JSON array of their names, `["*"]` for
    /// every kind (see the webhooks migration).
    pub events: String,
    pub secret: WebhookSecret,
    pub format: WebhookFormat,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The key that signs a webhook's calls. Its `Debug` shows the last four
/// characters only, so that a row printed into a log does not give it away.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct WebhookSecret(pub String);

impl WebhookSecret {
    /// What lists show of it: `…` and its last four characters.
    pub fn hint(&self) -> String {
        let tail: String = {
            let chars: Vec<char> = self.0.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        format!("…{tail}")
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecret({})", self.hint())
    }
}

closed_set! {
    /// The body a webhook is sent: the event as JSON, or `{"text":
    /// "<message> <link>"}` as Slack's incoming webhooks (and Mattermost's,
    /// Rocket.Chat's, …) take it (see `services::webhooks::render`).
    pub enum WebhookFormat {
        Json = "json",
        Slack = "slack",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_shows_only_its_last_four_characters() {
        let secret = WebhookSecret("0123456789abcdef".into());
        assert_eq!(secret.hint(), "…cdef");
        assert_eq!(format!("{secret:?}"), "WebhookSecret(…cdef)");
        assert_eq!(WebhookSecret("ab".into()).hint(), "…ab");
    }
}
