//! A bug inside a call (a panic) never reaches the caller: it becomes `444444` with a failure
//! output, and the next call works.

use onetrans::call::{self, Env};
use onetrans::clock::ChinaTime;
use onetrans::error::Error;
use onetrans::transport::{HttpAnswer, Transport};

struct Panicking;

impl Transport for Panicking {
    fn post(&self, _url: &str, _body: &[u8]) -> Result<HttpAnswer, Error> {
        panic!("a bug in the transport");
    }
}

#[test]
fn a_panic_becomes_444444() {
    let input = r#"{"data":{"serverAddr":"http://127.0.0.1:9/x","appId":"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN","appKey":"k"},"orgId":"H9"}"#;
    let env = Env {
        transport: &Panicking,
        now: &|| ChinaTime::from_unix(0),
        nonce: &|| "0".repeat(32),
    };
    let outcome = call::run(input, &env);
    assert_eq!(outcome.code, "444444");
    assert!(
        outcome.output.contains("\"respCode\":\"444444\""),
        "{}",
        outcome.output
    );
    assert!(
        outcome.output.contains("\"orgId\":\"H9\""),
        "{}",
        outcome.output
    );
}
