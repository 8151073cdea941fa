//! Working a request together: who has it, what was said, the files, the
//! search index over all of it, and the views people save.
//!
//! - `requests.assignee_user_id`: the provider's person who has it;
//!   `idx_requests_assignee` serves `?assignee=`.
//! - `comments`: the conversation, oldest first (`idx_comments_request`).
//!   Never deleted; an edit keeps the earlier text in the request's events.
//! - `attachments`: what was uploaded; the bytes live in the object store
//!   under `storage_key`.
//! - `saved_views`: a person's named filters, one name once per person.
//! - The search index, kept current by triggers so that every write path
//!   (logging one request, a group of them, an edit, a comment, the demo)
//!   updates it in its own transaction:
//!   - SQLite: the FTS5 table `request_search(title, details, comments)`
//!     whose rowid is the request's id;
//!   - PostgreSQL: `request_search(request_id, document tsvector)` with a
//!     GIN index; title weighs A, details B, comments C.
//!
//!   Both use language-neutral tokens (`unicode61` without stemming, the
//!   `simple` configuration) so that one query finds the same requests on
//!   either database; prefix matching stands in for stemming.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    OrganisationId,
    AssigneeUserId,
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    OrganisationId,
    RequestId,
    AuthorUserId,
    Body,
    CreatedAt,
    EditedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    OrganisationId,
    RequestId,
    Filename,
    Size,
    ContentType,
    Sha256,
    StorageKey,
    UploadedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SavedViews {
    Table,
    Id,
    OrganisationId,
    UserId,
    Name,
    Query,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

const SQLITE_SEARCH: &[&str] = &[
    "CREATE VIRTUAL TABLE request_search USING fts5(\
     title, details, comments, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO request_search (rowid, title, details, comments) \
     SELECT id, title, details, '' FROM requests",
    "CREATE TRIGGER request_search_insert AFTER INSERT ON requests BEGIN \
     INSERT INTO request_search (rowid, title, details, comments) \
     VALUES (NEW.id, NEW.title, NEW.details, ''); END",
    "CREATE TRIGGER request_search_update AFTER UPDATE OF title, details ON requests BEGIN \
     UPDATE request_search SET title = NEW.title, details = NEW.details \
     WHERE rowid = NEW.id; END",
    "CREATE TRIGGER request_search_comment AFTER INSERT ON comments BEGIN \
     UPDATE request_search SET comments = comments || ' ' || NEW.body \
     WHERE rowid = NEW.request_id; END",
    "CREATE TRIGGER request_search_comment_edit AFTER UPDATE OF body ON comments BEGIN \
     UPDATE request_search SET comments = \
     (SELECT COALESCE(group_concat(body, ' '), '') FROM comments WHERE request_id = NEW.request_id) \
     WHERE rowid = NEW.request_id; END",
];

const POSTGRES_SEARCH: &[&str] = &[
    "CREATE TABLE request_search (\
     request_id BIGINT PRIMARY KEY REFERENCES requests (id), \
     document TSVECTOR NOT NULL)",
    "CREATE INDEX idx_request_search_document ON request_search USING GIN (document)",
    "CREATE FUNCTION request_search_document(request BIGINT) RETURNS TSVECTOR \
     LANGUAGE SQL STABLE AS $$ \
     SELECT setweight(to_tsvector('simple', r.title), 'A') \
         || setweight(to_tsvector('simple', r.details), 'B') \
         || setweight(to_tsvector('simple', COALESCE( \
              (SELECT string_agg(c.body, ' ' ORDER BY c.id) FROM comments c \
               WHERE c.request_id = r.id), '')), 'C') \
     FROM requests r WHERE r.id = request $$",
    "CREATE FUNCTION request_search_refresh() RETURNS TRIGGER LANGUAGE plpgsql AS $$ \
     DECLARE target BIGINT; BEGIN \
       IF TG_TABLE_NAME = 'requests' THEN target := NEW.id; ELSE target := NEW.request_id; END IF; \
       INSERT INTO request_search (request_id, document) \
       VALUES (target, request_search_document(target)) \
       ON CONFLICT (request_id) DO UPDATE SET document = EXCLUDED.document; \
       RETURN NULL; END $$",
    "CREATE TRIGGER request_search_insert AFTER INSERT ON requests \
     FOR EACH ROW EXECUTE FUNCTION request_search_refresh()",
    "CREATE TRIGGER request_search_update AFTER UPDATE OF title, details ON requests \
     FOR EACH ROW EXECUTE FUNCTION request_search_refresh()",
    "CREATE TRIGGER request_search_comment AFTER INSERT OR UPDATE OF body ON comments \
     FOR EACH ROW EXECUTE FUNCTION request_search_refresh()",
    "INSERT INTO request_search (request_id, document) \
     SELECT id, request_search_document(id) FROM requests",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .add_column(
                        ColumnDef::new(Requests::AssigneeUserId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_assignee")
                    .table(Requests::Table)
                    .col(Requests::OrganisationId)
                    .col(Requests::AssigneeUserId)
                    .col(Requests::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(big_pk_auto(Comments::Id))
                    .col(big_integer(Comments::OrganisationId))
                    .col(big_integer(Comments::RequestId))
                    .col(big_integer(Comments::AuthorUserId))
                    .col(text(Comments::Body))
                    .col(timestamp_with_time_zone(Comments::CreatedAt))
                    .col(timestamp_with_time_zone_null(Comments::EditedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Comments::Table, Comments::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Comments::Table, Comments::AuthorUserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_comments_request")
                    .table(Comments::Table)
                    .col(Comments::RequestId)
                    .col(Comments::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(big_pk_auto(Attachments::Id))
                    .col(big_integer(Attachments::OrganisationId))
                    .col(big_integer(Attachments::RequestId))
                    .col(string(Attachments::Filename))
                    .col(big_integer(Attachments::Size))
                    .col(string(Attachments::ContentType))
                    .col(string(Attachments::Sha256))
                    .col(string(Attachments::StorageKey).unique_key())
                    .col(big_integer(Attachments::UploadedByUserId))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::UploadedByUserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_request")
                    .table(Attachments::Table)
                    .col(Attachments::RequestId)
                    .col(Attachments::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SavedViews::Table)
                    .col(big_pk_auto(SavedViews::Id))
                    .col(big_integer(SavedViews::OrganisationId))
                    .col(big_integer(SavedViews::UserId))
                    .col(string(SavedViews::Name))
                    .col(text(SavedViews::Query))
                    .col(timestamp_with_time_zone(SavedViews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SavedViews::Table, SavedViews::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_saved_views_user_name")
                    .table(SavedViews::Table)
                    .col(SavedViews::UserId)
                    .col(SavedViews::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let statements = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_SEARCH,
            _ => POSTGRES_SEARCH,
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for trigger in [
                    "request_search_insert",
                    "request_search_update",
                    "request_search_comment",
                    "request_search_comment_edit",
                ] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                        .await?;
                }
                db.execute_unprepared("DROP TABLE IF EXISTS request_search")
                    .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS request_search_insert ON requests; \
                     DROP TRIGGER IF EXISTS request_search_update ON requests; \
                     DROP TRIGGER IF EXISTS request_search_comment ON comments; \
                     DROP TABLE IF EXISTS request_search; \
                     DROP FUNCTION IF EXISTS request_search_refresh(); \
                     DROP FUNCTION IF EXISTS request_search_document(BIGINT)",
                )
                .await?;
            }
        }
        for table in [
            SavedViews::Table.into_iden(),
            Attachments::Table.into_iden(),
            Comments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_requests_assignee")
                    .table(Requests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .drop_column(Requests::AssigneeUserId)
                    .to_owned(),
            )
            .await
    }
}
