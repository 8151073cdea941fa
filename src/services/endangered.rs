//! Telling people when a promise to an outside customer turns at risk or
//! late: the owner department's lead and the organisation's leaders hear it
//! in the transaction that stores the worse projection, once per turn.
//!
//! A turn is a stored risk getting worse (none or on track → at risk or
//! late, at risk → late). The projection's store compares the rows it read
//! before projecting with what it writes; on PostgreSQL it has locked those
//! rows first, and on SQLite writers take turns, so two instances storing
//! the same commitment at once see one turn between them, not two.

use crate::entities::commitment::{self, CommitmentStatus, StoredRisk};
use crate::error::ApiError;
use crate::services::notifications;
use sea_orm::ConnectionTrait;

fn rank(risk: Option<StoredRisk>) -> u8 {
    match risk {
        None | Some(StoredRisk::OnTrack) => 0,
        Some(StoredRisk::AtRisk) => 1,
        Some(StoredRisk::Late) => 2,
    }
}

/// Whether going from `before` to `after` is a turn worth telling.
pub fn worsened(before: Option<StoredRisk>, after: StoredRisk) -> bool {
    rank(Some(after)) > rank(before)
}

/// Notifies for `row` (as it was before the store) now standing at `after`,
/// if that is a turn for the worse of an open commitment.
pub async fn announce(
    db: &impl ConnectionTrait,
    row: &commitment::Model,
    after: StoredRisk,
) -> Result<(), ApiError> {
    if row.status != CommitmentStatus::Open || !worsened(row.risk, after) {
        return Ok(());
    }
    let standing = match after {
        StoredRisk::Late => "late: it is projected after its promised date",
        _ => "at risk: it is projected close to its promised date",
    };
    notifications::notify_commitment_endangered(
        db,
        row,
        &format!(
            "The promise \"{}\" to {} is now {standing}",
            row.title, row.customer_name
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_turn_for_the_worse_is_told() {
        use StoredRisk::*;
        let all = [None, Some(OnTrack), Some(AtRisk), Some(Late)];
        for before in all {
            for after in [OnTrack, AtRisk, Late] {
                let expected = matches!(
                    (before, after),
                    (None | Some(OnTrack), AtRisk | Late) | (Some(AtRisk), Late)
                );
                assert_eq!(worsened(before, after), expected, "{before:?} → {after:?}");
            }
        }
    }
}
