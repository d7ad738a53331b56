//! The whole `MobileTrans` path with the network stubbed, as `entry::narrow` and
//! `entry::wide` run it: decode the caller's bytes (`charset::decode_input` or UTF-16), run the
//! call (`call::run` with a stub `Transport`, a fixed clock and nonce), encode the output and fit
//! it into the caller's buffer (`output::fit`).
//!
//! Layout of a fuzz input: `[mode, charset, cap_lo, cap_hi]`, then the caller's input bytes up
//! to the first 0x00 (a C string cannot hold one; for the wide interface, the first aligned
//! 0x0000 unit), then the portal's answer bytes.
//!
//! `mode & 3`: 0 the answer bytes as they are (HTTP status from `mode >> 2`); 1 a correct answer
//! echoing the request's data (the portal simulator's `echo`); 2 a correct answer whose data is
//! the answer bytes parsed as JSON; 3 a transport failure. `charset & 3`: auto, utf-8, gbk, or
//! the wide interface (the input bytes as UTF-16LE).
//!
//! Oracles: every request the library sends passes the portal's checks 1, 5 and 6 and carries
//! exactly the caller's business data; a correctly sealed answer always gives `000000` with its
//! data in the output; every output is a JSON object; the fitted units never exceed the
//! capacity, and are the whole output exactly when it fits; only a success becomes `000106`.

#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use onetrans::call::{self, Env};
use onetrans::charset::{self, Charset, CharsetSetting};
use onetrans::clock::ChinaTime;
use onetrans::crypto::{AppKey, DataKey};
use onetrans::error::{Error, ErrorKind};
use onetrans::json::{self, Value};
use onetrans::output;
use onetrans::protocol::{self, Reply};
use onetrans::transport::{HttpAnswer, Transport};

const NONCE: &str = "0123456789abcdef0123456789abcdef";
const STATUSES: [u16; 8] = [200, 200, 200, 200, 503, 500, 404, 302];

struct Stub<'a> {
    mode: u8,
    answer: &'a [u8],
    /// The caller's business data and appKey, when its input parsed.
    expected: Option<(Value, String)>,
    /// The data a sealed answer carried.
    sealed: Mutex<Option<Value>>,
}

impl Transport for Stub<'_> {
    fn post(&self, _url: &str, body: &[u8]) -> Result<HttpAnswer, Error> {
        let (business, app_key) = self.expected.clone().expect("only a parsed input is sent");
        // The portal's side: every request the library makes must pass checks 1, 5 and 6.
        let envelope = protocol::parse_request_envelope(body).expect("check 1 passes");
        let app_id = envelope["appId"].as_str().unwrap().to_owned();
        let app_key = AppKey::new(app_key);
        let key = DataKey::derive(&app_id, &app_key);
        let opened = protocol::open_request(envelope, &key, &app_key).expect("checks 5 and 6 pass");
        assert_eq!(
            opened.data, business,
            "the portal gets exactly the business data"
        );
        let data = match self.mode & 3 {
            0 => {
                let status = STATUSES[usize::from(self.mode >> 2) % STATUSES.len()];
                return Ok(HttpAnswer {
                    status,
                    body: self.answer.to_vec(),
                });
            }
            1 => Some(opened.data.clone()),
            2 => json::parse_bytes(self.answer).ok(),
            _ => {
                let kind = if self.mode & 4 == 0 {
                    ErrorKind::NotDelivered
                } else {
                    ErrorKind::OutcomeUnknown
                };
                return Err(Error::new(kind, "stubbed transport failure"));
            }
        };
        let reply = Reply {
            code: 0,
            message: "成功".into(),
            data: data.clone(),
            extra: String::new(),
        };
        *self.sealed.lock().unwrap() = Some(data.unwrap_or(Value::Null));
        let timestamp = opened.envelope["timestamp"].as_str().unwrap().to_owned();
        let sealed = protocol::seal_response(&opened.envelope, &reply, &key, &app_key, &timestamp);
        Ok(HttpAnswer {
            status: 200,
            body: sealed.into_bytes(),
        })
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (mode, charset_byte) = (data[0], data[1]);
    let capacity = usize::from(u16::from_le_bytes([data[2], data[3]]));
    let rest = &data[4..];
    let wide = charset_byte & 3 == 3;
    // The input ends at the first NUL: a byte, or an aligned UTF-16 unit for the wide interface.
    let end = if wide {
        rest.chunks_exact(2)
            .position(|u| u == [0, 0])
            .map(|i| (2 * i, 2))
    } else {
        rest.iter().position(|&b| b == 0).map(|i| (i, 1))
    };
    let (input, answer) = match end {
        Some((i, nul)) => (&rest[..i], &rest[i + nul..]),
        None => (rest, &[][..]),
    };
    let decoded = if wide {
        let units: Vec<u16> = input
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        charset::decode_utf16(&units).map(|t| (std::borrow::Cow::Owned(t), Charset::Utf8))
    } else {
        let setting = [
            CharsetSetting::Auto,
            CharsetSetting::Utf8,
            CharsetSetting::Gbk,
        ][usize::from(charset_byte & 3)];
        let platform = if charset_byte & 4 == 0 {
            Charset::Utf8
        } else {
            Charset::Gb18030
        };
        charset::decode_input(input, setting, platform)
    };
    let (text, out_charset) = match decoded {
        Ok(ok) => ok,
        Err(e) => {
            assert_eq!(e.code(), "000105");
            return;
        }
    };
    let expected = onetrans::input::parse(&text)
        .ok()
        .map(|i| (i.business.clone(), i.app_key.expose().to_owned()));
    let parsed = expected.is_some();
    let stub = Stub {
        mode,
        answer,
        expected,
        sealed: Mutex::new(None),
    };
    let now = || ChinaTime::from_unix(1_652_172_984);
    let nonce = || NONCE.to_owned();
    let outcome = call::run(
        &text,
        &Env {
            transport: &stub,
            now: &now,
            nonce: &nonce,
        },
    );
    let out = json::parse(&outcome.output).expect("the output is JSON");
    assert!(
        out.get("code").is_some(),
        "the output has a code: {}",
        outcome.output
    );
    assert_ne!(
        outcome.code, "444444",
        "a panic inside the call: {}",
        outcome.output
    );
    if !parsed {
        assert_eq!(outcome.code, "000105");
    }
    if let Some(sealed) = stub.sealed.lock().unwrap().take() {
        assert_eq!(
            outcome.code, "000000",
            "a correct answer must verify: {}",
            outcome.output
        );
        assert_eq!(
            out.get("data"),
            Some(&sealed),
            "the output carries the answer's data"
        );
    }
    let org_id = outcome.org_id.as_deref();
    if wide {
        let fitted = output::fit(
            &outcome.code,
            &outcome.output,
            capacity / 2,
            org_id,
            output::Units::Utf16,
            charset::encode_utf16,
        );
        check_fit(
            &fitted,
            capacity / 2,
            &charset::encode_utf16(&outcome.output),
        );
    } else {
        let encode = |t: &str| charset::encode_output(t, out_charset);
        let fitted = output::fit(
            &outcome.code,
            &outcome.output,
            capacity,
            org_id,
            output::Units::Bytes,
            encode,
        );
        check_fit(&fitted, capacity, &encode(&outcome.output));
        let code = output::code_after_fit(&outcome.code, &fitted);
        // 000106 only ever for a verified success that did not fit: a failure keeps its code.
        let expected = if fitted.truncated && outcome.code == "000000" {
            "000106"
        } else {
            outcome.code.as_str()
        };
        assert_eq!(code, expected);
    }
});

fn check_fit<T: Copy + Default + PartialEq + std::fmt::Debug>(
    fitted: &output::Fitted<T>,
    capacity: usize,
    full: &[T],
) {
    assert!(fitted.units.len() <= capacity, "written past the capacity");
    assert_eq!(fitted.needed, full.len() + 1);
    assert_eq!(fitted.truncated, full.len() + 1 > capacity);
    if !fitted.truncated {
        assert_eq!(&fitted.units[..full.len()], full);
    }
    if capacity > 0 {
        assert_eq!(fitted.units.last(), Some(&T::default()), "NUL-terminated");
    }
}
