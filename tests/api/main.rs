//! Every integration test in one binary: one link instead of one per file,
//! and one process whose tests share the harness. Each module is one area
//! of the product; `common` is the HTTP harness (an app on a fresh SQLite
//! file, or a PostgreSQL schema when `BATON_TEST_POSTGRES_URL` is set) and
//! `time_common` the business-time reference.

mod common;
mod time_common;

mod accounts;
mod admin_pages;
mod administration;
mod agreements;
mod alerts;
mod attachments;
mod browser;
mod browsing;
mod calendars;
mod commitments;
mod contacts;
mod crawl;
mod demo;
mod durability;
mod errors;
mod instances;
mod isolation;
mod mail;
mod mail_choices;
mod page_guards;
mod pages;
mod permissions;
mod projection_psplib;
mod projection_reference;
mod pulses;
mod reads;
mod reports;
mod requests;
mod reviews;
mod system;
mod thanks;
mod time_properties;
mod time_reference;
mod time_spec;
mod time_validation;
mod time_vectors;
mod together;
mod together_pages;
mod webhooks;
