//! Who works at the demo organisation: the admin, a leader, and nine
//! departments, each with its calendar, a lead who chairs it and one or two
//! staff.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::entities::ids::DepartmentId;
use baton::entities::user;
use baton::identity::{AuthUser, Role, TokenKeys};
use baton::services::ExpectedVersion;
use baton::services::accounts::{self, SignupInput};
use baton::services::calendars::{CalendarCache, for_department};
use baton::services::departments::{self, DepartmentChanges, NewDepartment};
use baton::services::users::{self, NewUser};
use baton::time::CompiledCalendar;

use super::calendars::{self, HOME_ZONE, Office};
use super::{DEMO_ADMIN_EMAIL, DEMO_DOMAIN, DEMO_ORGANISATION, DEMO_PASSWORD, DemoError, Login};

/// The demo's departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dept {
    Sales,
    Legal,
    Finance,
    Procurement,
    It,
    Operations,
    CustomerSuccess,
    Marketing,
    Hr,
}

struct DeptSpec {
    dept: Dept,
    name: &'static str,
    code: &'static str,
    office: Office,
    /// (name, local part of the email)
    lead: (&'static str, &'static str),
    staff: &'static [(&'static str, &'static str)],
}

const DEPARTMENTS: [DeptSpec; 9] = [
    DeptSpec {
        dept: Dept::Sales,
        name: "Sales",
        code: "SALES",
        office: Office::NewYork,
        lead: ("Sofia Alvarez", "sofia"),
        staff: &[("Marcus Reid", "marcus"), ("Dana Whitfield", "dana")],
    },
    DeptSpec {
        dept: Dept::Legal,
        name: "Legal",
        code: "LEGAL",
        office: Office::Berlin,
        lead: ("Lena Vogel", "lena"),
        staff: &[("Jonas Becker", "jonas"), ("Amira Haddad", "amira")],
    },
    DeptSpec {
        dept: Dept::Finance,
        name: "Finance",
        code: "FIN",
        office: Office::Berlin,
        lead: ("Thomas Krause", "thomas"),
        staff: &[("Nina Hoffmann", "nina")],
    },
    DeptSpec {
        dept: Dept::Procurement,
        name: "Procurement",
        code: "PROC",
        office: Office::Bengaluru,
        lead: ("Rahul Mehta", "rahul"),
        staff: &[("Ananya Iyer", "ananya"), ("Vikram Rao", "vikram")],
    },
    DeptSpec {
        dept: Dept::It,
        name: "IT",
        code: "IT",
        office: Office::Bengaluru,
        lead: ("Arjun Sharma", "arjun"),
        staff: &[("Kavya Reddy", "kavya")],
    },
    DeptSpec {
        dept: Dept::Operations,
        name: "Operations",
        code: "OPS",
        office: Office::Sydney,
        lead: ("Olivia Clarke", "olivia"),
        staff: &[("Jack Morrison", "jack"), ("Mia Nguyen", "mia")],
    },
    DeptSpec {
        dept: Dept::CustomerSuccess,
        name: "Customer Success",
        code: "CS",
        office: Office::Kathmandu,
        lead: ("Sita Gurung", "sita"),
        staff: &[("Bikash Thapa", "bikash")],
    },
    DeptSpec {
        dept: Dept::Marketing,
        name: "Marketing",
        code: "MKT",
        office: Office::NewYork,
        lead: ("Grace Kim", "grace"),
        staff: &[("Ethan Brooks", "ethan")],
    },
    DeptSpec {
        dept: Dept::Hr,
        name: "People & HR",
        code: "HR",
        office: Office::Default,
        lead: ("Hannah Schulz", "hannah"),
        staff: &[("Felix Wagner", "felix")],
    },
];

const ADMIN_NAME: &str = "Alex Morgan";
const LEADER: (&str, &str) = ("Catherine Moreau", "leader");

/// The two departments whose people the banner prints.
const SHOWN: [Dept; 2] = [Dept::Legal, Dept::Sales];

fn email(local: &str) -> String {
    format!("{local}@{DEMO_DOMAIN}")
}

/// A user of the demo, ready to act through the services.
pub(crate) struct Member {
    pub auth: AuthUser,
}

pub(crate) struct Department {
    pub id: DepartmentId,
    pub lead: Member,
    pub staff: Vec<Member>,
    pub calendar: Arc<CompiledCalendar>,
}

impl Department {
    /// Someone of the department doing everyday work: staff more often
    /// than the lead.
    pub fn anyone(&self, rng: &mut ChaCha8Rng) -> &AuthUser {
        if self.staff.is_empty() || rng.random_bool(0.25) {
            return &self.lead.auth;
        }
        let index = rng.random_range(0..self.staff.len());
        self.staff
            .get(index)
            .map_or(&self.lead.auth, |member| &member.auth)
    }

    /// A staff member (the lead when there is none).
    pub fn first_staff(&self) -> &Member {
        self.staff.first().unwrap_or(&self.lead)
    }
}

/// The organisation as the later steps need it.
pub(crate) struct Org {
    pub admin: AuthUser,
    pub departments: HashMap<Dept, Department>,
    /// The moment of loading: history lies before it, plans after it.
    pub now: DateTime<Utc>,
}

impl Org {
    /// The department `dept`, created by [`create`].
    pub fn dept(&self, dept: Dept) -> Result<&Department, DemoError> {
        self.departments
            .get(&dept)
            .ok_or_else(|| DemoError::new(format!("department {dept:?} is missing")))
    }
}

/// Signs the organisation up and creates its calendars, departments and
/// people.
pub(crate) async fn create(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    now: DateTime<Utc>,
) -> Result<Org, DemoError> {
    // Signing up issues a token for the admin; nobody uses it, so any key
    // will do — a random one, never a fixed secret.
    let keys = TokenKeys::new(baton::config::random_hex(32).as_bytes(), 1);
    let (organisation, session) = accounts::signup(
        db,
        &keys,
        SignupInput {
            org_name: DEMO_ORGANISATION.into(),
            timezone: HOME_ZONE.into(),
            name: ADMIN_NAME.into(),
            email: DEMO_ADMIN_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    let admin = AuthUser {
        id: session.user.id,
        organisation_id: organisation.id,
        role: Role::Admin,
        department_id: None,
    };
    let mut offices = HashMap::new();
    offices.insert(Office::Default, default_calendar(db, &admin).await?);
    for office in calendars::CREATED {
        offices.insert(
            office,
            calendars::create(db, &admin, office, now.year()).await?,
        );
    }
    add_user(db, &admin, LEADER.0, &email(LEADER.1), Role::Leader, None).await?;

    let mut departments = HashMap::new();
    for spec in &DEPARTMENTS {
        let calendar_id = offices
            .get(&spec.office)
            .copied()
            .ok_or_else(|| DemoError::new(format!("no calendar for {:?}", spec.office)))?;
        let row = departments::create(
            db,
            &admin,
            NewDepartment {
                name: spec.name.into(),
                code: spec.code.into(),
                calendar_id: Some(calendar_id),
                lead_user_id: None,
            },
        )
        .await?;
        let lead = add_user(
            db,
            &admin,
            spec.lead.0,
            &email(spec.lead.1),
            Role::Lead,
            Some(row.id),
        )
        .await?;
        let mut staff = Vec::new();
        for (name, local) in spec.staff {
            staff.push(add_user(db, &admin, name, &email(local), Role::Staff, Some(row.id)).await?);
        }
        departments::update(
            db,
            &admin,
            row.id,
            ExpectedVersion(None),
            DepartmentChanges {
                lead_user_id: Some(Some(lead.id)),
                ..Default::default()
            },
        )
        .await?;
        departments.insert(
            spec.dept,
            Department {
                id: row.id,
                lead: member(&lead)?,
                staff: staff.iter().map(member).collect::<Result<_, _>>()?,
                calendar: for_department(db, cache, admin.organisation_id, row.id).await?,
            },
        );
    }
    Ok(Org {
        admin,
        departments,
        now,
    })
}

/// The calendar signing up created.
async fn default_calendar(db: &DatabaseConnection, admin: &AuthUser) -> Result<i64, DemoError> {
    let page = baton::pagination::PageRequest {
        after_id: 0,
        limit: 1,
    };
    baton::services::calendars::list(db, admin, page)
        .await?
        .first()
        .map(|calendar| calendar.id)
        .ok_or_else(|| DemoError::new("signing up made no default calendar"))
}

async fn add_user(
    db: &DatabaseConnection,
    admin: &AuthUser,
    name: &str,
    email: &str,
    role: Role,
    department_id: Option<DepartmentId>,
) -> Result<user::Model, DemoError> {
    Ok(users::create(
        db,
        admin,
        NewUser {
            name: name.into(),
            email: email.into(),
            password: DEMO_PASSWORD.into(),
            role,
            department_id,
        },
    )
    .await?)
}

fn member(row: &user::Model) -> Result<Member, DemoError> {
    let role = row.role;
    Ok(Member {
        auth: AuthUser {
            id: row.id,
            organisation_id: row.organisation_id,
            role,
            department_id: row.department_id,
        },
    })
}

/// The logins the banner prints: admin, leader, and a lead and a staff
/// member of two departments. Known without the database, so that a second
/// start prints them too.
pub(crate) fn logins() -> Vec<Login> {
    let mut logins = vec![
        Login {
            role: "admin".into(),
            name: ADMIN_NAME.into(),
            email: DEMO_ADMIN_EMAIL.into(),
        },
        Login {
            role: "leader".into(),
            name: LEADER.0.into(),
            email: email(LEADER.1),
        },
    ];
    for dept in SHOWN {
        if let Some(spec) = DEPARTMENTS.iter().find(|spec| spec.dept == dept) {
            logins.push(Login {
                role: format!("lead, {}", spec.name),
                name: spec.lead.0.into(),
                email: email(spec.lead.1),
            });
            if let Some((name, local)) = spec.staff.first() {
                logins.push(Login {
                    role: format!("staff, {}", spec.name),
                    name: (*name).into(),
                    email: email(local),
                });
            }
        }
    }
    logins
}
