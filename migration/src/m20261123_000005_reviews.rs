//! Review meetings between two departments, their attendees, the action
//! items they produce, and per-user tokens for the calendar feed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    OrganisationId,
    DepartmentAId,
    DepartmentBId,
    ScheduledAt,
    DurationMinutes,
    EveryWeeks,
    Status,
    HeldAt,
    Minutes,
    Decisions,
    FollowsReviewId,
    CreatedByUserId,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReviewAttendees {
    Table,
    ReviewId,
    UserId,
}

#[derive(DeriveIden)]
enum ActionItems {
    Table,
    Id,
    OrganisationId,
    ReviewId,
    Title,
    OwnerUserId,
    DueOn,
    Status,
    ResolutionNote,
    ClosedAt,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalendarFeedTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(big_pk_auto(Reviews::Id))
                    .col(big_integer(Reviews::OrganisationId))
                    // The pair, lower id first, so a pair has one spelling.
                    .col(big_integer(Reviews::DepartmentAId))
                    .col(big_integer(Reviews::DepartmentBId))
                    .col(timestamp_with_time_zone(Reviews::ScheduledAt))
                    .col(integer(Reviews::DurationMinutes))
                    .col(integer(Reviews::EveryWeeks))
                    .col(string(Reviews::Status))
                    .col(timestamp_with_time_zone_null(Reviews::HeldAt))
                    .col(text_null(Reviews::Minutes))
                    .col(text(Reviews::Decisions))
                    // Unique: holding a review schedules its successor exactly once.
                    .col(big_integer_null(Reviews::FollowsReviewId).unique_key())
                    .col(big_integer(Reviews::CreatedByUserId))
                    .col(integer(Reviews::Version))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::DepartmentAId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::DepartmentBId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reviews_pair")
                    .table(Reviews::Table)
                    .col(Reviews::OrganisationId)
                    .col(Reviews::DepartmentAId)
                    .col(Reviews::DepartmentBId)
                    .col(Reviews::ScheduledAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewAttendees::Table)
                    .col(big_integer(ReviewAttendees::ReviewId))
                    .col(big_integer(ReviewAttendees::UserId))
                    .primary_key(
                        Index::create()
                            .col(ReviewAttendees::ReviewId)
                            .col(ReviewAttendees::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewAttendees::Table, ReviewAttendees::ReviewId)
                            .to(Reviews::Table, Reviews::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewAttendees::Table, ReviewAttendees::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_attendees_user")
                    .table(ReviewAttendees::Table)
                    .col(ReviewAttendees::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActionItems::Table)
                    .col(big_pk_auto(ActionItems::Id))
                    .col(big_integer(ActionItems::OrganisationId))
                    .col(big_integer(ActionItems::ReviewId))
                    .col(string(ActionItems::Title))
                    .col(big_integer(ActionItems::OwnerUserId))
                    .col(date(ActionItems::DueOn))
                    .col(string(ActionItems::Status))
                    .col(text_null(ActionItems::ResolutionNote))
                    .col(timestamp_with_time_zone_null(ActionItems::ClosedAt))
                    .col(integer(ActionItems::Version))
                    .col(timestamp_with_time_zone(ActionItems::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionItems::Table, ActionItems::ReviewId)
                            .to(Reviews::Table, Reviews::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionItems::Table, ActionItems::OwnerUserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_action_items_review")
                    .table(ActionItems::Table)
                    .col(ActionItems::ReviewId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CalendarFeedTokens::Table)
                    .col(big_pk_auto(CalendarFeedTokens::Id))
                    .col(big_integer_uniq(CalendarFeedTokens::UserId))
                    .col(string_uniq(CalendarFeedTokens::TokenHash))
                    .col(timestamp_with_time_zone(CalendarFeedTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalendarFeedTokens::Table, CalendarFeedTokens::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarFeedTokens::Table.into_iden(),
            ActionItems::Table.into_iden(),
            ReviewAttendees::Table.into_iden(),
            Reviews::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
