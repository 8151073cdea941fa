//! SeaORM entities, one file per table. Plain data: no Rocket, no rules.

pub mod calendar;
pub mod department;
pub mod organisation;
pub mod user;
