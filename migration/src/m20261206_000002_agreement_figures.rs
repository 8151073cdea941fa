//! The on-time figures of each agreement, kept as counts on its row.
//!
//! `agreements.delivered_count` and `agreements.on_time_count` count its
//! finished deliveries (status `delivered` or `accepted`) and those on
//! time, as `services::agreements::figures` reports them. Triggers keep
//! them in the transaction of every write to `requests` (a delivery, an
//! acceptance, a reopening, a bulk load alike), so that a department's page
//! and the agreement lists read ten numbers instead of counting five years
//! of requests. The entity leaves the columns out, so no application write
//! can overwrite them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[&str] = &[
    "ALTER TABLE agreements ADD COLUMN delivered_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE agreements ADD COLUMN on_time_count BIGINT NOT NULL DEFAULT 0",
    "UPDATE agreements SET \
     delivered_count = (SELECT COUNT(*) FROM requests r WHERE r.agreement_id = agreements.id \
                        AND r.status IN ('delivered', 'accepted')), \
     on_time_count = (SELECT COUNT(*) FROM requests r WHERE r.agreement_id = agreements.id \
                      AND r.status IN ('delivered', 'accepted') AND r.on_time)",
];

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER agreement_figures_insert AFTER INSERT ON requests \
     WHEN NEW.status IN ('delivered', 'accepted') BEGIN \
     UPDATE agreements SET delivered_count = delivered_count + 1, \
     on_time_count = on_time_count + (CASE WHEN NEW.on_time THEN 1 ELSE 0 END) \
     WHERE id = NEW.agreement_id; END",
    "CREATE TRIGGER agreement_figures_update \
     AFTER UPDATE OF status, on_time, agreement_id ON requests BEGIN \
     UPDATE agreements SET delivered_count = delivered_count - 1, \
     on_time_count = on_time_count - (CASE WHEN OLD.on_time THEN 1 ELSE 0 END) \
     WHERE id = OLD.agreement_id AND OLD.status IN ('delivered', 'accepted'); \
     UPDATE agreements SET delivered_count = delivered_count + 1, \
     on_time_count = on_time_count + (CASE WHEN NEW.on_time THEN 1 ELSE 0 END) \
     WHERE id = NEW.agreement_id AND NEW.status IN ('delivered', 'accepted'); END",
    "CREATE TRIGGER agreement_figures_delete AFTER DELETE ON requests \
     WHEN OLD.status IN ('delivered', 'accepted') BEGIN \
     UPDATE agreements SET delivered_count = delivered_count - 1, \
     on_time_count = on_time_count - (CASE WHEN OLD.on_time THEN 1 ELSE 0 END) \
     WHERE id = OLD.agreement_id; END",
];

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION agreement_figures_count() RETURNS TRIGGER LANGUAGE plpgsql AS $$ BEGIN \
       IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('delivered', 'accepted') THEN \
         UPDATE agreements SET delivered_count = delivered_count - 1, \
           on_time_count = on_time_count - (CASE WHEN OLD.on_time THEN 1 ELSE 0 END) \
         WHERE id = OLD.agreement_id; \
       END IF; \
       IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('delivered', 'accepted') THEN \
         UPDATE agreements SET delivered_count = delivered_count + 1, \
           on_time_count = on_time_count + (CASE WHEN NEW.on_time THEN 1 ELSE 0 END) \
         WHERE id = NEW.agreement_id; \
       END IF; \
       RETURN NULL; END $$",
    "CREATE TRIGGER agreement_figures \
     AFTER INSERT OR DELETE OR UPDATE OF status, on_time, agreement_id ON requests \
     FOR EACH ROW EXECUTE FUNCTION agreement_figures_count()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for statement in COLUMNS.iter().chain(triggers) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER agreement_figures ON requests",
                "DROP FUNCTION agreement_figures_count()",
            ],
            _ => &[
                "DROP TRIGGER agreement_figures_insert",
                "DROP TRIGGER agreement_figures_update",
                "DROP TRIGGER agreement_figures_delete",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        db.execute_unprepared("ALTER TABLE agreements DROP COLUMN on_time_count")
            .await?;
        db.execute_unprepared("ALTER TABLE agreements DROP COLUMN delivered_count")
            .await?;
        Ok(())
    }
}
