//! `onetrans call`: one real call through `onetrans::call::run_live`, exactly as `MobileTrans`
//! makes it.

use onetrans::call::{Outcome, Trace};
use onetrans::charset::Charset;

use crate::common::{self, business_code, CliError, CliResult};

pub fn run(source: &str, compact: bool, wire: bool) -> CliResult {
    let bytes = common::read_source(source)?;
    // Decoded as MobileTrans decodes pInData; undecodable input is its `000105`.
    let outcome = match common::decode_input(&bytes) {
        Ok((text, charset)) => {
            if charset == Charset::Gb18030 {
                eprintln!("注意 / note: 输入不是 UTF-8，已按 GB18030 解码 (the input is not UTF-8; decoded as GB18030)");
            }
            onetrans::call::run_live(&text)
        }
        Err(error) => onetrans::entry::refused(error),
    };
    if wire {
        print_wire(&outcome.trace);
        println!("== 出参 / output ==");
    }
    println!("{}", render_output(&outcome.output, compact));
    finish(&outcome)
}

/// The output JSON as the caller would read it, indented unless `compact`.
fn render_output(output: &str, compact: bool) -> String {
    if compact {
        output.to_owned()
    } else {
        common::pretty_text(output)
    }
}

/// Prints what went over the wire: the sign text (appKey masked), the request envelope, the
/// HTTP status and the raw answer.
pub fn print_wire(trace: &Trace) {
    if trace.request_body.is_empty() && trace.sign_text_masked.is_empty() {
        println!("== 线上报文 / wire ==");
        println!("（没有发出请求 / nothing was sent）");
        println!();
        return;
    }
    println!("== 签名原文（appKey 已遮盖） / sign text (appKey masked) ==");
    println!("{}", trace.sign_text_masked);
    println!();
    println!("== 请求报文 / request envelope: POST {} ==", trace.path);
    if trace.request_body.is_empty() {
        println!("（未发出 / not sent）");
    } else {
        println!("{}", trace.request_body);
    }
    println!();
    match trace.http_status {
        Some(status) => println!("== HTTP 状态 / HTTP status: {status} =="),
        None => println!("== HTTP 状态 / HTTP status: （没有应答 / no answer） =="),
    }
    println!();
    println!("== 应答原文 / raw answer body ==");
    match &trace.response_body {
        Some(body) => println!("{}", String::from_utf8_lossy(body)),
        None => println!("（没有应答 / no answer）"),
    }
    println!();
}

/// Prints the meaning and the final return-code line; fails unless the code is `000000`.
fn finish(outcome: &Outcome) -> CliResult {
    let business = outcome
        .trace
        .business_code
        .clone()
        .or_else(|| business_code(&outcome.output).filter(|_| outcome.code == "000000"));
    eprintln!(
        "说明 / meaning: {}",
        common::explain(&outcome.code, business.as_deref())
    );
    println!("返回码 / return code: {}", outcome.code);
    if outcome.code == "000000" {
        Ok(())
    } else {
        Err(CliError::failed(String::new()))
    }
}
