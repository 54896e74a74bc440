//! The request git sends a credential helper (gitcredentials(7), "custom
//! helpers"; git-credential(1), "INPUT/OUTPUT FORMAT"): `key=value` lines
//! up to a blank line or the end of input. [`parse`] is a pure function
//! over the bytes, [`read`] takes them from a reader without ever holding
//! more than [`MAX_BYTES`] of it.
//!
//! A request is a handful of short lines, so anything much larger did not
//! come from git and is refused instead of read into memory. Errors say
//! which line and which key, never a value: a `store` request carries the
//! password.

use std::io::BufRead;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The most a request may hold, blank line included. git sends well under
/// 1 KiB; the rest is room for `wwwauth[]` challenges and long paths.
pub const MAX_BYTES: usize = 64 * 1024;

/// The longest line a request may hold, its line ending included: an HTTP
/// header (which `wwwauth[]` lines copy) is rarely allowed over 8 KiB by
/// servers, so twice that is generous.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// What bscred takes from a request: the two keys that decide whether the
/// token may go out. Every other key is read and dropped (a `password=`
/// line in a `store` request is never kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `protocol=`: `https`, `http`, `ssh`, …
    pub protocol: Option<String>,
    /// `host=`: the host name, with `:PORT` when the URL had one.
    pub host: Option<String>,
}

impl Request {
    /// Whether the request asks for `https://HOST` (the host compared
    /// without regard to ASCII case, as DNS does): the only request the
    /// token may answer. Plain http or another server gets nothing.
    pub fn is_https_to(&self, host: &str) -> bool {
        self.protocol.as_deref() == Some("https")
            && self
                .host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Why a request was refused. Holds line numbers and key names only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// More than [`MAX_BYTES`] before the blank line that ends a request.
    #[error("git's credential request is larger than {} KiB", MAX_BYTES / 1024)]
    TooLarge,
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("line {line} of git's credential request is longer than {} KiB", MAX_LINE_BYTES / 1024)]
    LineTooLong {
        /// 1-based.
        line: usize,
    },
    /// A key bscred acts on appears twice: which one counts is ambiguous,
    /// and git never sends that.
    #[error("git's credential request has two `{key}=` lines (lines {first} and {second})")]
    Repeated {
        key: &'static str,
        /// 1-based line numbers.
        first: usize,
        second: usize,
    },
}

/// The keys [`Request`] keeps; each may appear once.
const KEPT: [&str; 2] = ["protocol", "host"];

/// Parses a request: the lines of `bytes` up to the first blank line (or
/// the end), each `key=value` split at its first `=`, a `\r` before the
/// `\n` dropped as git does. Lines without `=` and keys bscred does not use
/// (`capability[]`, `wwwauth[]`, `path`, `username`, `password`, …) are
/// ignored; what follows the blank line is not part of the request.
pub fn parse(bytes: &[u8]) -> Result<Request, RequestError> {
    let mut request = Request::default();
    // Where each kept key was seen (1-based line), to name both lines.
    let mut seen = [0usize; KEPT.len()];
    let mut consumed = 0usize;
    for (index, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        // The total first: `read` cuts its input just past MAX_BYTES, and
        // a line it cut must give the same answer as the whole line.
        consumed += raw.len();
        if consumed > MAX_BYTES {
            return Err(RequestError::TooLarge);
        }
        if raw.len() > MAX_LINE_BYTES {
            return Err(RequestError::LineTooLong { line: number });
        }
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        let Some(slot) = KEPT.iter().position(|k| k.as_bytes() == key) else {
            continue;
        };
        if seen[slot] != 0 {
            return Err(RequestError::Repeated {
                key: KEPT[slot],
                first: seen[slot],
                second: number,
            });
        }
        seen[slot] = number;
        // A value that is not UTF-8 keeps its replacement characters, so
        // it can never equal a host name bscred answers for.
        let value = Some(String::from_utf8_lossy(value).into_owned());
        match slot {
            0 => request.protocol = value,
            _ => request.host = value,
        }
    }
    Ok(request)
}

/// Reads a request from `input` up to its blank line or end, holding at
/// most [`MAX_BYTES`] + 1 bytes (enough to tell that a request is too
/// large), then [`parse`]s it. Input after the blank line is left unread,
/// so a caller that keeps its end open is answered at once.
pub fn read(input: impl BufRead) -> Result<Request> {
    let limit = MAX_BYTES + 1;
    // Sized once, so the buffer (a `store` request holds a password) is
    // never reallocated and leaves no copy behind; wiped when dropped.
    let mut buffer = Zeroizing::new(Vec::with_capacity(limit));
    let mut input = input.take(limit as u64);
    loop {
        let start = buffer.len();
        let read = input
            .read_until(b'\n', &mut buffer)
            .map_err(Error::io("cannot read git's request"))?;
        let line = &buffer[start..];
        if read == 0 || line == b"\n" || line == b"\r\n" {
            break;
        }
    }
    Ok(parse(&buffer)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(bytes: &[u8]) -> Request {
        parse(bytes).expect("a valid request")
    }

    #[test]
    fn the_request_git_sends_for_github() {
        let request = ok(b"protocol=https\nhost=github.com\n\n");
        assert_eq!(request.protocol.as_deref(), Some("https"));
        assert_eq!(request.host.as_deref(), Some("github.com"));
        assert!(request.is_https_to("github.com"));
        assert!(request.is_https_to("GitHub.com"));
        assert!(!request.is_https_to("github.com.evil.example"));
    }

    #[test]
    fn plain_http_another_host_or_a_missing_key_answers_nothing() {
        for bytes in [
            &b"protocol=http\nhost=github.com\n"[..],
            b"protocol=https\nhost=gitlab.com\n",
            b"protocol=https\nhost=github.com:8443\n",
            b"host=github.com\n",
            b"protocol=https\n",
            b"protocol=https\nhost=github.com\xff\n",
            b"",
        ] {
            assert!(!ok(bytes).is_https_to("github.com"), "{bytes:?}");
        }
    }

    #[test]
    fn unknown_keys_lines_without_equals_and_crlf_are_accepted() {
        let request = ok(b"capability[]=authtype\r\nprotocol=https\r\nnot a pair\r\n\
                           wwwauth[]=Basic realm=\"x=y\"\r\nwwwauth[]=Bearer\r\n\
                           host=github.com\r\npassword=hunter2\r\n\r\n");
        assert!(request.is_https_to("github.com"));
        // The value is everything after the first `=`.
        assert_eq!(ok(b"host=a=b\n").host.as_deref(), Some("a=b"));
        // Keys are case-sensitive, as git writes them.
        assert_eq!(ok(b"HOST=github.com\n").host, None);
    }

    #[test]
    fn the_request_ends_at_a_blank_line_or_the_end() {
        assert!(ok(b"protocol=https\nhost=github.com").is_https_to("github.com"));
        // After the blank line nothing counts: no repeat, no size limit.
        let mut bytes = b"protocol=https\nhost=github.com\n\nhost=gitlab.com\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_BYTES * 2));
        assert!(ok(&bytes).is_https_to("github.com"));
    }

    #[test]
    fn a_repeated_host_or_protocol_is_refused_naming_lines_not_values() {
        let err = parse(b"protocol=https\nhost=evil.example\nhost=github.com\n").unwrap_err();
        assert_eq!(
            err,
            RequestError::Repeated {
                key: "host",
                first: 2,
                second: 3
            }
        );
        let text = err.to_string();
        assert_eq!(
            text,
            "git's credential request has two `host=` lines (lines 2 and 3)"
        );
        assert!(!text.contains("evil") && !text.contains("github"), "{text}");
        // The same value twice is just as ambiguous to a reader of the log.
        assert!(parse(b"host=github.com\nhost=github.com\n").is_err());
        assert!(matches!(
            parse(b"protocol=http\nhost=github.com\nprotocol=https\n"),
            Err(RequestError::Repeated {
                key: "protocol",
                ..
            })
        ));
        // Arrays repeat by design.
        assert!(parse(b"wwwauth[]=a\nwwwauth[]=b\nhost=github.com\n").is_ok());
    }

    #[test]
    fn an_over_long_line_is_refused_by_number() {
        let mut bytes = b"protocol=https\npassword=".to_vec();
        bytes.extend(std::iter::repeat_n(b'p', MAX_LINE_BYTES));
        bytes.push(b'\n');
        let err = parse(&bytes).unwrap_err();
        assert_eq!(err, RequestError::LineTooLong { line: 2 });
        assert_eq!(
            err.to_string(),
            "line 2 of git's credential request is longer than 16 KiB"
        );
        // Exactly at the limit, line ending included, is fine.
        let mut bytes = b"wwwauth[]=".to_vec();
        bytes.resize(MAX_LINE_BYTES - 1, b'w');
        bytes.push(b'\n');
        assert!(parse(&bytes).is_ok());
    }

    #[test]
    fn more_than_64_kib_of_short_lines_is_refused() {
        let line = b"wwwauth[]=Basic realm=\"a long enough challenge\"\n";
        let mut bytes = b"protocol=https\nhost=github.com\n".to_vec();
        while bytes.len() <= MAX_BYTES {
            bytes.extend_from_slice(line);
        }
        assert_eq!(parse(&bytes), Err(RequestError::TooLarge));
        assert_eq!(
            RequestError::TooLarge.to_string(),
            "git's credential request is larger than 64 KiB"
        );
        // Just under the limit is fine.
        bytes.truncate(MAX_BYTES);
        assert!(parse(&bytes).is_ok());
    }

    #[test]
    fn read_stops_at_the_blank_line_and_agrees_with_parse() {
        let bytes = b"protocol=https\nhost=github.com\n\nmore that is never read";
        let mut cursor = std::io::Cursor::new(&bytes[..]);
        let request = read(&mut cursor).expect("reads");
        assert!(request.is_https_to("github.com"));
        assert_eq!(cursor.position(), 32, "stopped after the blank line");
        let crlf = b"protocol=https\r\nhost=github.com\r\n\r\nmore";
        assert_eq!(read(&crlf[..]).expect("reads"), ok(crlf));
    }

    #[test]
    fn read_takes_no_more_than_the_limit_from_an_endless_input() {
        // `repeat` never ends: reading it whole would never return.
        let endless = std::io::BufReader::new(std::io::repeat(b'a'));
        let err = read(endless).unwrap_err();
        assert!(err.to_string().contains("larger than 64 KiB"), "{err}");
        let lines = std::io::BufReader::new(std::io::Read::chain(
            &b"protocol=https\n"[..],
            LineSource(0),
        ));
        let err = read(lines).unwrap_err();
        assert!(err.to_string().contains("larger than 64 KiB"), "{err}");
    }

    /// Endless short `wwwauth[]` lines.
    struct LineSource(usize);

    impl std::io::Read for LineSource {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            const LINE: &[u8] = b"wwwauth[]=Basic\n";
            for byte in out.iter_mut() {
                *byte = LINE[self.0 % LINE.len()];
                self.0 += 1;
            }
            Ok(out.len())
        }
    }
}
