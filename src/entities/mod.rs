//! SeaORM entities, one file per table. Plain data: no Rocket, no rules.

pub mod agreement;
pub mod calendar;
pub mod commitment;
pub mod commitment_dependency;
pub mod department;
pub mod event;
pub mod idempotency_key;
pub mod notification;
pub mod organisation;
pub mod request;
pub mod request_dependency;
pub mod user;
