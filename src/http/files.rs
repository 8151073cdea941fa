//! Files over HTTP, for the API and the pages alike: the [`Upload`] body
//! guard (a `multipart/form-data` body read with `multer`, the file hashed
//! and counted as it streams in, refused with 413 past
//! `BATON_ATTACHMENT_MAX_BYTES` before anything is stored) and the
//! [`Download`] responder (the bytes, streamed from the store, with a
//! `Content-Disposition` no file name can break).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use object_store::{GetResult, PutPayloadMut};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::http::{ContentType, Header};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::{ReaderStream, StreamReader};

use crate::entities::attachment;
use crate::error::ApiError;
use crate::http::problem::status_of;
use crate::services::attachments::NewFile;
use crate::state::AppState;

/// Room for the multipart framing and the small form fields beside the file.
const FRAMING_BYTES: u64 = 64 * 1024;
/// The longest text part (the page's `_csrf`), and how many there may be.
const MAX_TEXT_BYTES: usize = 4 * 1024;
const MAX_TEXT_PARTS: usize = 16;

/// A `multipart/form-data` body: its `file` part, if any, and its text parts.
pub struct Upload {
    file: Option<NewFile>,
    texts: Vec<(String, String)>,
}

impl Upload {
    /// The value of the text part `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(part, _)| part == name)
            .map(|(_, value)| value.as_str())
    }

    /// The file; 422 when there is none, or when a part other than `file`
    /// and `also` was sent.
    pub fn into_file(self, also: &[&str]) -> Result<NewFile, ApiError> {
        if let Some((name, _)) = self
            .texts
            .iter()
            .find(|(name, _)| !also.contains(&name.as_str()))
        {
            let name = if name.is_empty() { "body" } else { name };
            return Err(ApiError::field(
                name,
                "is not a part this upload takes; send the file as the part named file",
            ));
        }
        self.file.ok_or_else(|| {
            ApiError::field("file", "is required: send the file as the part named file")
        })
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Upload {
    type Error = ApiError;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let max_bytes = request
            .rocket()
            .state::<AppState>()
            .map_or(crate::Config::default().attachment_max_bytes, |state| {
                state.config.attachment_max_bytes
            });
        match read(request.content_type(), data, max_bytes).await {
            Ok(upload) => Outcome::Success(upload),
            Err(error) => Outcome::Error((status_of(&error), error)),
        }
    }
}

/// Reads a multipart body whose file may hold at most `max_bytes`.
pub async fn read(
    content_type: Option<&ContentType>,
    data: Data<'_>,
    max_bytes: u64,
) -> Result<Upload, ApiError> {
    let unsupported = || {
        ApiError::UnsupportedMediaType(
            "the body must be multipart/form-data, with the file in a part named file".into(),
        )
    };
    let media = content_type
        .filter(|media| media.is_form_data())
        .ok_or_else(unsupported)?;
    let boundary = multer::parse_boundary(media.to_string()).map_err(|_| {
        ApiError::BadRequest("a multipart/form-data body needs its boundary in Content-Type".into())
    })?;
    let body_limit = max_bytes.saturating_add(FRAMING_BYTES);
    let too_large = || ApiError::PayloadTooLarge {
        what: "the file",
        limit_bytes: max_bytes,
    };
    let overflowed = Arc::new(AtomicBool::new(false));
    let body = Capped {
        // One byte past the limit tells a body that ends there from a longer one.
        inner: data.open(body_limit.saturating_add(1).bytes()),
        left: body_limit,
        overflowed: overflowed.clone(),
    };
    let mut multipart = multer::Multipart::new(ReaderStream::new(body), boundary);
    let broken = |error: multer::Error| {
        if overflowed.load(Ordering::Relaxed) {
            too_large()
        } else {
            ApiError::BadRequest(format!(
                "the body is not valid multipart/form-data: {error}"
            ))
        }
    };
    let mut upload = Upload {
        file: None,
        texts: Vec::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if upload.file.is_some() {
                return Err(ApiError::field("file", "send one file at a time"));
            }
            let filename = field.file_name().map(str::to_owned);
            let content_type = field
                .headers()
                .get("content-type")
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            let mut hasher = Sha256::new();
            let mut payload = PutPayloadMut::new();
            let mut size: u64 = 0;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(too_large());
                }
                hasher.update(&chunk);
                payload.push(chunk);
            }
            let sha256 = hasher
                .finalize()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            upload.file = Some(NewFile {
                filename,
                content_type,
                payload: payload.freeze(),
                sha256,
            });
        } else {
            if upload.texts.len() >= MAX_TEXT_PARTS {
                return Err(ApiError::field("body", "has too many parts"));
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                value.extend_from_slice(&chunk);
                if value.len() > MAX_TEXT_BYTES {
                    return Err(ApiError::field(name, "is too long"));
                }
            }
            upload
                .texts
                .push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    Ok(upload)
}

/// The body as read, failing once more than `left` bytes arrive (so that a
/// body past the limit is refused rather than cut short).
struct Capped<R> {
    inner: R,
    left: u64,
    overflowed: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Capped<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buffer.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(context, buffer) {
            Poll::Ready(Ok(())) => {
                let read = (buffer.filled().len() - before) as u64;
                if read > this.left {
                    this.overflowed.store(true, Ordering::Relaxed);
                    return Poll::Ready(Err(io::Error::other("the body is too large")));
                }
                this.left -= read;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

/// An attachment's bytes as a download.
pub struct Download(pub attachment::Model, pub GetResult);

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        let Download(row, object) = self;
        let content_type =
            ContentType::parse_flexible(&row.content_type).unwrap_or(ContentType::Binary);
        Response::build()
            .header(content_type)
            .header(Header::new(
                "Content-Disposition",
                content_disposition(&row.filename),
            ))
            .header(Header::new("X-Content-Type-Options", "nosniff"))
            .header(Header::new("Cache-Control", "private, no-store"))
            .streamed_body(StreamReader::new(object.into_stream()))
            .ok()
    }
}

/// RFC 5987 `attr-char`s are sent as they are; everything else is encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<encoded>`
/// (RFC 6266): the fallback keeps printable ASCII but for `"`, `\`, `/`, `;`,
/// `%`, each other character one `_`; the full name is percent-encoded.
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| match c {
            '"' | '\\' | '/' | '%' | ';' => '_',
            ' '..='~' => c,
            _ => '_',
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(filename, ATTR_CHAR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_name_breaks_the_disposition() {
        assert_eq!(
            content_disposition("résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        let hostile = content_disposition("a\"; filename=\"x\r\n.exe\\/%.txt");
        assert!(!hostile.contains('\r') && !hostile.contains('\n'));
        let (quoted, encoded) = hostile.split_once("; filename*=").unwrap();
        assert_eq!(
            quoted,
            "attachment; filename=\"a__ filename=_x__.exe___.txt\""
        );
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b';')
        );
    }
}
