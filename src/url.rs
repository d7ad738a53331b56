//! `http://` and `https://` URLs (`serverAddr`, `proxy`), split by one parser: the `http` crate's
//! [`Uri`], the one the HTTP client itself uses (re-exported by ureq), so that what the input
//! check accepts, what the log shows and what the command-line tool connects to agree with what
//! is sent.

use ureq::http::Uri;

/// A URL with an `http` or `https` scheme and a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    uri: Uri,
}

impl HttpUrl {
    /// Parses `text`: `None` unless it is an absolute URL with an `http` or `https` scheme (any
    /// case) and a non-empty host, and has no whitespace or control characters.
    pub fn parse(text: &str) -> Option<HttpUrl> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let uri: Uri = text.parse().ok()?;
        let scheme = uri.scheme_str()?;
        let known = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
        let host = uri.host().unwrap_or("");
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        (known && !bare.is_empty() && port_is_usable(&uri, host)).then_some(HttpUrl { uri })
    }

    /// Whether the scheme is `https`.
    pub fn https(&self) -> bool {
        self.uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
    }

    /// The host, without the brackets of an IPv6 address and without any `user:password@`.
    pub fn host(&self) -> &str {
        let host = self.uri.host().unwrap_or("");
        host.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
    }

    /// The port: the URL's own, else the scheme's default (80, 443).
    pub fn port(&self) -> u16 {
        self.uri
            .port_u16()
            .unwrap_or(if self.https() { 443 } else { 80 })
    }

    /// The path and query (`/api/amp/hos/pushMsg`), `/` when the URL has none.
    pub fn path(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }
}

/// Whether the authority's port, if any, is a number that fits a `u16` (the `http` crate keeps
/// any text there). An empty port (`host:`) means the scheme's default (RFC 3986 section 3.2.3).
fn port_is_usable(uri: &Uri, host: &str) -> bool {
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    match host_port.strip_prefix(host) {
        Some("" | ":") => true,
        Some(_) => uri.port_u16().is_some(),
        None => false,
    }
}

/// Whether `text` is a usable proxy, `http://[user:password@]host:port` as the HTTP client
/// accepts it: the one rule for `proxy` in `OneTrans.ini`, the environment and the input.
pub(crate) fn is_proxy(text: &str) -> bool {
    text.starts_with("http://") && ureq::Proxy::new(text).is_ok()
}

/// The path of a URL for the log: its path and query, or `/` when it has none or does not parse.
pub(crate) fn path_of(url: &str) -> String {
    HttpUrl::parse(url).map_or_else(|| "/".to_owned(), |u| u.path().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_parts() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/api/amp/hos/pushMsg?x=1").unwrap();
        assert_eq!((u.https(), u.host(), u.port()), (false, "127.0.0.1", 8080));
        assert_eq!(u.path(), "/api/amp/hos/pushMsg?x=1");

        let u = HttpUrl::parse("https://portal.example").unwrap();
        assert_eq!(
            (u.https(), u.host(), u.port(), u.path()),
            (true, "portal.example", 443, "/")
        );

        let u = HttpUrl::parse("http://user:pw@proxy.local:3128").unwrap();
        assert_eq!((u.host(), u.port()), ("proxy.local", 3128));

        let u = HttpUrl::parse("HTTPS://[::1]:9443/p").unwrap();
        assert_eq!(
            (u.https(), u.host(), u.port(), u.path()),
            (true, "::1", 9443, "/p")
        );
        assert_eq!(HttpUrl::parse("http://[::1]/").unwrap().port(), 80);
        assert_eq!(HttpUrl::parse("http://h:/p").unwrap().port(), 80);
    }

    #[test]
    fn refuses_what_is_not_an_http_url() {
        for bad in [
            "",
            "http://",
            "http:///p",
            "http://:80/p",
            "ftp://x/y",
            "127.0.0.1:80/p",
            "/api/p",
            "http://h/p q",
            "http://h/p\t",
            "http://h:port/p",
            "http://h:99999/p",
            "http://[::1/p",
        ] {
            assert_eq!(HttpUrl::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_log_path() {
        assert_eq!(path_of("http://127.0.0.1:1/api/x"), "/api/x");
        assert_eq!(path_of("http://127.0.0.1:1"), "/");
        assert_eq!(path_of("not a url"), "/");
    }
}
