//! Database migrations, one file per step, applied in order at start-up
//! (`baton` and `baton migrate`).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_agreements_requests;
mod m20261123_000003_commitments;
mod m20261123_000004_report_indexes;
mod m20261123_000005_reviews;
mod m20261204_000001_audit_log;
mod m20261205_000001_working_together;
mod m20261206_000001_endangerments;
mod m20261206_000002_agreement_figures;
mod m20261206_000003_open_work_indexes;
mod m20261206_000004_mail;
mod m20261206_000005_alerts;
mod m20261206_000006_webhooks;
mod m20261206_000007_thanks_levels;
mod m20261206_000008_pulses;
mod m20261206_000009_contacts;
mod m20261206_000010_pulse_actions;
mod m20261206_000011_dependents_index;
mod m20261207_000001_commitments_soonest;
mod m20261207_000002_open_by_due;
mod m20261207_000003_department_events;
mod m20261207_000004_due_window;
mod m20261207_000005_department_due;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_agreements_requests::Migration),
            Box::new(m20261123_000003_commitments::Migration),
            Box::new(m20261123_000004_report_indexes::Migration),
            Box::new(m20261123_000005_reviews::Migration),
            Box::new(m20261204_000001_audit_log::Migration),
            Box::new(m20261205_000001_working_together::Migration),
            Box::new(m20261206_000001_endangerments::Migration),
            Box::new(m20261206_000002_agreement_figures::Migration),
            Box::new(m20261206_000003_open_work_indexes::Migration),
            Box::new(m20261206_000004_mail::Migration),
            Box::new(m20261206_000005_alerts::Migration),
            Box::new(m20261206_000006_webhooks::Migration),
            Box::new(m20261206_000007_thanks_levels::Migration),
            Box::new(m20261206_000008_pulses::Migration),
            Box::new(m20261206_000009_contacts::Migration),
            Box::new(m20261206_000010_pulse_actions::Migration),
            Box::new(m20261206_000011_dependents_index::Migration),
            Box::new(m20261207_000001_commitments_soonest::Migration),
            Box::new(m20261207_000002_open_by_due::Migration),
            Box::new(m20261207_000003_department_events::Migration),
            Box::new(m20261207_000004_due_window::Migration),
            Box::new(m20261207_000005_department_due::Migration),
        ]
    }
}
