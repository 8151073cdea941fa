//! How events are shown (the log itself is read through its subject:
//! `/requests/{id}/events`, `/agreements/{id}/events`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::event;

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    pub kind: String,
    /// `null` for changes Baton made itself (a due moved by an upstream delay).
    pub actor_user_id: Option<i64>,
    /// When it happened, as declared.
    pub at: DateTime<Utc>,
    /// When the server recorded it.
    pub recorded_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<event::Model> for EventOut {
    fn from(row: event::Model) -> Self {
        EventOut {
            id: row.id,
            kind: row.kind,
            actor_user_id: row.actor_user_id,
            at: row.at,
            recorded_at: row.recorded_at,
            data: serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null),
        }
    }
}
