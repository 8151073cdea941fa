//! What people choose to get by mail (at once, a daily digest, nothing),
//! the invitations a review's attendees get, and the mailed link that sets
//! a forgotten password: each through the SMTP server inside the test.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use icalendar::{Calendar, CalendarComponent, Component};
use rocket::http::Status;
use serde_json::json;

use crate::common::int;
use crate::common::smtp::Received;
use crate::mail::{Mailing, PUBLIC, recipients};
use crate::pages::{csrf_of, page, post_form, sign_in};
use baton::services::calendars::CalendarCache;
use baton::services::mail::{self, Links};

/// The next midnight in Berlin after `at`: where an always-open calendar's
/// next working day starts.
fn next_berlin_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    let zone = chrono_tz::Europe::Berlin;
    let tomorrow = at.with_timezone(&zone).date_naive() + TimeDelta::days(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(zone).earliest())
        .expect("a midnight")
        .with_timezone(&Utc)
}

#[rocket::async_test]
async fn people_take_a_kind_of_mail_at_once_in_a_digest_or_not_at_all_and_the_digest_goes_once_at_the_start_of_their_day()
 {
    let mailing = Mailing::always_open().await;
    let pair = &mailing.pair;
    let mine = mailing
        .app
        .get("/api/v1/mail/preferences", Some(&pair.sales_lead.token))
        .await;
    assert_eq!(mine.status, Status::Ok, "{}", mine.body);
    assert_eq!(mine.body["preferences"]["forecast_late"], "now");
    assert_eq!(mine.body["preferences"]["due_soon"], "now");

    // A wrong kind or mode is one 422 naming each, and changes nothing.
    let wrong = mailing
        .app
        .patch(
            "/api/v1/mail/preferences",
            Some(&pair.sales_lead.token),
            None,
            json!({"forecast_late": "digest", "late": "off", "overdue": "sometimes"}),
        )
        .await;
    assert_eq!(wrong.status, Status::UnprocessableEntity, "{}", wrong.body);
    assert!(wrong.body["errors"]["late"].is_array(), "{}", wrong.body);
    assert!(wrong.body["errors"]["overdue"].is_array(), "{}", wrong.body);
    let unchanged = mailing
        .app
        .get("/api/v1/mail/preferences", Some(&pair.sales_lead.token))
        .await;
    assert_eq!(unchanged.body["preferences"]["forecast_late"], "now");

    // Sara chooses on the page every mail links to; Sam through the API.
    let sara = sign_in(&mailing.app, "sara@acme.test").await;
    let (status, html) = page(&mailing.app, &sara, "/preferences").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        html.contains("A request you asked for is expected late"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let (status, location, _) = post_form(
        &mailing.app,
        &sara,
        "/preferences",
        &[("_csrf", &csrf), ("mode[forecast_late]", "digest")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/preferences"));
    let (_, html) = page(&mailing.app, &sara, "/preferences").await;
    assert!(
        html.contains(r#"name="mode[forecast_late]" value="digest" aria-labelledby="kind-forecast_late mode-digest" checked"#),
        "{html}"
    );
    let digest = mailing
        .app
        .get("/api/v1/mail/preferences", Some(&pair.sales_lead.token))
        .await;
    assert_eq!(digest.body["preferences"]["forecast_late"], "digest");
    let off = mailing
        .app
        .patch(
            "/api/v1/mail/preferences",
            Some(&pair.sales_staff.token),
            None,
            json!({"forecast_late": "off"}),
        )
        .await;
    assert_eq!(off.status, Status::Ok, "{}", off.body);

    let first = mailing.late_forecast().await;
    let second = mailing.late_forecast().await;
    let now = Utc::now();
    let done = mailing.dispatch(now).await;
    assert_eq!((done.sent, done.set_aside), (0, 2), "{done:?}");
    assert!(mailing.sink.received().is_empty());
    let states: BTreeSet<(String, String)> = mailing
        .deliveries()
        .await
        .iter()
        .map(|line| {
            (
                line["to"].as_str().unwrap_or_default().to_owned(),
                line["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        BTreeSet::from([
            ("sam@acme.test".to_owned(), "skipped".to_owned()),
            ("sara@acme.test".to_owned(), "digest".to_owned()),
        ])
    );
    // The notices themselves are there at once.
    let inbox = mailing
        .app
        .get("/api/v1/notifications", Some(&pair.sales_staff.token))
        .await;
    assert_eq!(inbox.body["items"].as_array().map(Vec::len), Some(2));

    // The digest goes at the start of Sara's next working day (her
    // calendar is open all day: midnight in Berlin), once across two
    // instances.
    let opening = next_berlin_midnight(now);
    assert_eq!(
        mailing
            .dispatch(opening - TimeDelta::seconds(1))
            .await
            .digests,
        0
    );
    let other = baton::db::connect(&mailing.app.database_url, 2)
        .await
        .expect("second instance");
    let cache = CalendarCache::default();
    let links = Links::new(PUBLIC);
    let (one, two) = tokio::join!(
        mail::dispatch_due(&mailing.db, &cache, &mailing.mailer, &links, opening),
        mail::dispatch_due(&other, &cache, &mailing.mailer, &links, opening),
    );
    assert_eq!(one.expect("one").digests + two.expect("two").digests, 1);
    let mails = mailing.sink.received();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, ["sara@acme.test"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your Baton digest: 2 notices")
    );
    let text = mail.decoded();
    for id in [first, second] {
        assert!(text.contains(&format!("{PUBLIC}/requests/{id}")), "{text}");
    }
    assert!(text.contains(&format!("{PUBLIC}/preferences")), "{text}");
    for line in mailing.deliveries().await {
        if line["to"] == "sara@acme.test" {
            assert_eq!(line["state"], "sent", "{line}");
        }
    }
    // Nothing new: no mail the next day.
    assert_eq!(
        mailing.dispatch(opening + TimeDelta::days(1)).await.digests,
        0
    );
    assert_eq!(mailing.sink.received().len(), 1);
}

fn invitation(mail: &Received) -> (Calendar, String) {
    let data = mail.decoded();
    assert!(
        mail.data.contains("text/calendar; method=REQUEST"),
        "{}",
        mail.data
    );
    let start = data.find("BEGIN:VCALENDAR").expect("an invitation");
    let end = data.find("END:VCALENDAR").expect("its end") + "END:VCALENDAR".len();
    let ics = data[start..end].replace("\r\n", "\n").replace('\n', "\r\n");
    (ics.parse().expect("iCalendar"), data)
}

#[rocket::async_test]
async fn a_reviews_attendees_are_mailed_an_invitation_when_it_is_scheduled_and_an_update_when_it_moves()
 {
    let mailing = Mailing::always_open().await;
    let pair = &mailing.pair;
    let at = (Utc::now() + TimeDelta::days(7)).to_rfc3339();
    let created = mailing
        .app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": at,
                   "duration_minutes": 45, "every_weeks": 4,
                   "attendee_user_ids": [pair.legal_lead.user_id, pair.sales_lead.user_id, pair.sales_staff.user_id]}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let review = int(&created.body["id"]);
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 2);
    let mails = mailing.sink.received();
    assert_eq!(
        recipients(&mails),
        BTreeSet::from(["lena@acme.test".to_owned(), "sam@acme.test".to_owned()]),
        "the attendees, but not Sara who scheduled it"
    );
    for mail in &mails {
        let subject = mail.header("Subject").unwrap_or_default();
        assert!(subject.starts_with("Review: Department LEGAL"), "{subject}");
        let (calendar, text) = invitation(mail);
        assert!(
            text.contains(&format!("{PUBLIC}/reviews/{review}")),
            "{text}"
        );
        assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
        let event = calendar
            .components
            .iter()
            .find_map(|component| match component {
                CalendarComponent::Event(event) => Some(event.clone()),
                _ => None,
            })
            .expect("an event");
        assert_eq!(
            event.get_uid(),
            Some(format!("review-{review}@baton").as_str())
        );
        assert_eq!(event.property_value("SEQUENCE"), Some("1"));
        assert_eq!(
            event.get_summary(),
            Some("Review: Department LEGAL ⇄ Department SALES")
        );
        assert!(
            event
                .multi_properties()
                .get("ATTENDEE")
                .is_some_and(|attendees| attendees.len() == 3),
            "{text}"
        );
    }

    // Moved an hour later: the same event, a higher sequence.
    let moved_to = (Utc::now() + TimeDelta::days(7) + TimeDelta::hours(1)).to_rfc3339();
    let moved = mailing
        .app
        .patch(
            &format!("/api/v1/reviews/{review}"),
            Some(&pair.sales_lead.token),
            Some("\"1\""),
            json!({"scheduled_at": moved_to}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 2);
    let mails = mailing.sink.received();
    for mail in &mails[2..] {
        let subject = mail.header("Subject").unwrap_or_default();
        assert!(subject.contains("moved to"), "{subject}");
        let (calendar, _) = invitation(mail);
        let event = calendar
            .components
            .iter()
            .find_map(|component| match component {
                CalendarComponent::Event(event) => Some(event.clone()),
                _ => None,
            })
            .expect("an event");
        assert_eq!(
            event.get_uid(),
            Some(format!("review-{review}@baton").as_str())
        );
        assert_eq!(event.property_value("SEQUENCE"), Some("2"));
    }
    let inbox = mailing
        .app
        .get("/api/v1/notifications", Some(&pair.legal_lead.token))
        .await;
    assert_eq!(
        inbox.body["items"][0]["kind"], "review_moved",
        "{}",
        inbox.body
    );
    assert_eq!(inbox.body["items"][0]["review_id"], review);
}

/// The mails the sink holds once `count` have come, waiting up to 10 s
/// (the reset mail goes after the answer).
async fn wait_for(mailing: &Mailing, count: usize) -> Vec<Received> {
    for _ in 0..100 {
        let mails = mailing.sink.received();
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mailing.sink.received()
}

#[rocket::async_test]
async fn a_forgotten_password_is_set_again_with_a_single_use_link_and_the_answer_does_not_tell_who_has_an_account()
 {
    let mailing = Mailing::always_open().await;
    let known = mailing
        .app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "Sam@Acme.test"}),
        )
        .await;
    let unknown = mailing
        .app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "nobody@acme.test"}),
        )
        .await;
    assert_eq!(known.status, Status::Accepted, "{}", known.body);
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body);

    let mails = wait_for(&mailing, 1).await;
    assert_eq!(mails.len(), 1, "one mail, to the account that exists");
    assert_eq!(mails[0].to, ["sam@acme.test"]);
    let text = mails[0].decoded();
    let marker = format!("{PUBLIC}/password/reset?token=");
    let from = text.find(&marker).expect("a link") + marker.len();
    let token: String = text[from..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{text}");

    let short = mailing
        .app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!(short.status, Status::UnprocessableEntity, "{}", short.body);
    // An hour and a minute later the link no longer works.
    let late = baton::services::password_reset::confirm(
        &mailing.db,
        &token,
        "a long enough new password",
        Utc::now() + TimeDelta::minutes(61),
    )
    .await;
    assert!(late.is_err());

    let set = mailing
        .app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "password": "a long enough new password"}),
        )
        .await;
    assert_eq!(set.status, Status::Ok, "{}", set.body);
    assert_eq!(
        mailing
            .app
            .login("sam@acme.test", "a long enough new password")
            .await
            .status,
        Status::Ok
    );
    let again = mailing
        .app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "password": "yet another new password"}),
        )
        .await;
    assert_eq!(again.status, Status::UnprocessableEntity, "{}", again.body);
    assert!(again.body["errors"]["token"].is_array(), "{}", again.body);
    assert_eq!(
        mailing
            .app
            .login("sam@acme.test", "yet another new password")
            .await
            .status,
        Status::Unauthorized
    );

    // The pages: a form to ask, and one to set it that says what is wrong.
    let refused = mailing
        .app
        .client
        .post("/password/reset")
        .header(rocket::http::ContentType::Form)
        .body(format!("token={token}&password=short"))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::SeeOther);
    let again = refused
        .headers()
        .get_one("Location")
        .expect("back to the form")
        .to_owned();
    let flash = refused
        .cookies()
        .get("_flash")
        .map(|cookie| cookie.value().to_owned())
        .unwrap_or_default();
    assert!(again.starts_with("/password/reset?token="), "{again}");
    let flash = percent_encoding::percent_decode_str(&flash).decode_utf8_lossy();
    assert!(
        flash.contains("The password must be at least 12 characters"),
        "{flash}"
    );
    let ask = mailing.app.get("/password/forgot", None).await;
    assert_eq!(ask.status, Status::Ok, "{}", ask.body);
    let login = mailing.app.get("/login", None).await;
    assert_eq!(login.status, Status::Ok);
}
