//! SeaORM entities, one file per table. Plain data: no Rocket, no rules.

pub mod action_item;
pub mod agreement;
pub mod calendar;
pub mod calendar_feed_token;
pub mod commitment;
pub mod commitment_dependency;
pub mod department;
pub mod event;
pub mod idempotency_key;
pub mod notification;
pub mod organisation;
pub mod request;
pub mod request_dependency;
pub mod review;
pub mod review_attendee;
pub mod user;
