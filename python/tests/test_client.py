"""onetrans (Python) against the portal simulator: the Java suite's cases, plus Chinese round
trips and exact numbers."""

import concurrent.futures
import decimal
import itertools
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid

import pytest

import onetrans
from conftest import (
    APP_ID,
    APP_KEY,
    CLIENT_PRV_KEY,
    CLIENT_PUB_KEY,
    SERVER_PUB_KEY,
    SM2_APP_ID,
    SM2_APP_KEY,
)

REPO = pathlib.Path(__file__).resolve().parents[2]
PUSH = "/api/amp/hos/pushMsg"
DRUG = "/api/mobile/verificationDrug"
ECHO = "/_fault/echo/api/amp/hos/pushMsg"
_tickets = itertools.count()


def push_msg(**changes):
    fields = {
        "orgCode": "H35010200227",
        "medOrgOrd": uuid.uuid4().hex,
        "pushType": "HOSPITAL_PAYMENT",
        "orderStatus": "MERCHANT_PAID",
        "patientName": "周大鹏",
        "idType": "01",
        "idNo": "35020519870819015X",
    }
    fields.update(changes)
    return fields


def drug():
    """A write-off of a ticket never used before (ASCII only: no Chinese in the request)."""
    return {"mobileDrugTipsId": f"P{time.time_ns()}-{next(_tickets)}", "drugTipsIdType": "qr"}


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def client(portal):
    return onetrans.Client(portal, APP_ID, APP_KEY, org_id="H35010200227")


def sm2_client(portal, server_pub_key=SERVER_PUB_KEY):
    return onetrans.Client(
        portal, SM2_APP_ID, SM2_APP_KEY, sign_type="SM2",
        client_prv_key=CLIENT_PRV_KEY, server_pub_key=server_pub_key,
    )


def test_push_msg_with_sm3_succeeds(client):
    r = client.call(PUSH, push_msg())
    assert r.ok and r.code == 0 and r.resp_code == "000000"
    assert r.data == {"response": "SUCCESS"}
    assert r.message == "成功"
    assert r.org_id == "H35010200227"
    assert '"orgId":"H35010200227"' in r.raw


def test_path_or_url(client, portal):
    assert client.call(portal + PUSH, push_msg()).ok
    c = onetrans.Client(portal + "/api/amp/hos/", APP_ID, APP_KEY)
    assert c.call("pushMsg", push_msg()).ok
    assert c.url("/pushMsg") == portal + "/api/amp/hos/pushMsg"


def test_ascii_request_gets_chinese_and_exact_numbers(client):
    r = client.call(DRUG, drug())
    assert r.ok
    assert r.data["drugStatusDesc"] == "已核销"
    assert r.data["drugTypeDesc"] == "药品"
    assert isinstance(r.data["fee"], decimal.Decimal)
    assert str(r.data["fee"]) == "12.50"
    assert '"fee":12.50' in r.raw


def test_the_same_ticket_twice_is_a_business_failure(client):
    ticket = drug()
    assert client.call(DRUG, ticket).ok
    again = client.call(DRUG, ticket)
    assert not again.ok and again.code == -2 and again.resp_code == "000000"
    assert "核销" in again.message


def test_sm2_both_interfaces(portal):
    c = sm2_client(portal)
    assert c.call(PUSH, push_msg()).data == {"response": "SUCCESS"}
    assert c.call(DRUG, drug()).ok


def test_sm2_answer_under_another_key_is_not_trusted(portal):
    with pytest.raises(onetrans.OutcomeUnknownError) as e:
        sm2_client(portal, server_pub_key=CLIENT_PUB_KEY).call(PUSH, push_msg())
    assert e.value.resp_code == "000102" and not e.value.retry_safe


def test_a_missing_field_is_a_business_failure(client):
    fields = push_msg()
    del fields["idNo"]
    r = client.call(PUSH, fields)
    assert not r.ok and r.code == -2
    assert "idNo" in r.message


def test_portal_rejections_are_passed_through(portal, client):
    stranger = onetrans.Client(portal, "UnknownApp000000000000000000000X", "secret")
    with pytest.raises(onetrans.PortalRejectedError) as e:
        stranger.call(PUSH, push_msg())
    assert e.value.resp_code == "-8"
    assert e.value.output["respCode"] == "-8"
    with pytest.raises(onetrans.PortalRejectedError) as e:
        client.call("/api/amp/hos/noSuchInterface", push_msg())
    assert e.value.resp_code == "404404"


def test_an_unreachable_portal_is_not_sent():
    c = onetrans.Client(f"http://127.0.0.1:{closed_port()}", APP_ID, APP_KEY)
    with pytest.raises(onetrans.UnreachableError) as e:
        c.call(PUSH, push_msg())
    assert isinstance(e.value, onetrans.NotSentError) and e.value.retry_safe
    assert e.value.resp_code == "000100" and e.value.message


def test_bad_input_is_not_sent():
    with pytest.raises(onetrans.BadInputError) as e:
        onetrans.Client("ftp://127.0.0.1/", APP_ID, APP_KEY).call(PUSH, push_msg())
    assert e.value.resp_code == "000105" and e.value.retry_safe


def test_arguments_are_checked(portal, client):
    with pytest.raises(ValueError):
        onetrans.Client(portal, APP_ID, "")
    with pytest.raises(ValueError):
        onetrans.Client(portal, APP_ID, APP_KEY, read_timeout_ms=0)
    with pytest.raises(ValueError):
        client.call(PUSH, push_msg(appKey="x"))
    with pytest.raises(ValueError):
        client.call(ECHO, {"x": decimal.Decimal("NaN")})
    assert APP_KEY not in repr(client)


def test_chinese_round_trips_without_gbk(client):
    text = "叶倩 周大鹏 José 𠀀 ①\u00a0€"  # GBK-ambiguous, Latin, outside the BMP, not in GBK
    r = client.call(ECHO, {"name": text, "list": ["医保", {"科室": "其他内科"}]})
    assert r.data["name"] == text
    assert r.data["list"] == ["医保", {"科室": "其他内科"}]
    assert "叶倩" in r.raw


def test_numbers_stay_exact(client):
    sent = {
        "amount": decimal.Decimal("12.50"),
        "fen": decimal.Decimal("0.10"),
        "big": 12345678901234567890,
        "exp": decimal.Decimal("1.5E+3"),
        "float": 0.1,
        "flag": True,
        "none": None,
    }
    r = client.call(ECHO, sent)
    for key in ("amount", "fen", "big", "flag", "none"):
        assert r.data[key] == sent[key]
    assert str(r.data["amount"]) == "12.50" and str(r.data["fen"]) == "0.10"
    assert r.data["exp"] == decimal.Decimal("1500")
    assert r.data["float"] == decimal.Decimal("0.1")
    assert '"amount":12.50' in r.raw and '"big":12345678901234567890' in r.raw


def test_an_answer_larger_than_the_buffer_is_fetched_once(client):
    blob = "医" * 100_000  # 300,000 bytes of UTF-8: over the first 64 KiB buffer
    r = client.call(ECHO, {"blob": blob})
    assert r.ok and r.data["blob"] == blob


@pytest.mark.percall
def test_a_per_call_read_timeout_gives_outcome_unknown_in_time(portal):
    c = onetrans.Client(portal, APP_ID, APP_KEY, read_timeout_ms=500)
    start = time.monotonic()
    with pytest.raises(onetrans.OutcomeUnknownError) as e:
        c.call("/_fault/slow=5000" + PUSH, push_msg())
    assert e.value.resp_code == "000001"
    assert time.monotonic() - start < 4.0


@pytest.mark.percall
def test_a_per_call_proxy_is_used(portal):
    c = onetrans.Client(portal, APP_ID, APP_KEY, proxy=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(onetrans.UnreachableError):
        c.call(PUSH, push_msg())


@pytest.mark.percall
def test_connection_settings_are_never_sent(portal):
    c = onetrans.Client(portal, APP_ID, APP_KEY, connect_timeout_ms=6000, read_timeout_ms=30000)
    assert c.call(ECHO, {"only": "this"}).data == {"only": "this"}


def test_eight_threads_share_one_client(client, portal):
    sm2 = sm2_client(portal)

    def work(thread):
        traces = []
        for i in range(12):
            c = sm2 if i % 3 == 2 else client
            r = c.call(DRUG, drug()) if i % 2 == 0 else c.call(PUSH, push_msg())
            assert r.ok, (thread, i, r.raw)
            if "traceId" in r.data:
                traces.append(r.data["traceId"])
        return traces

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        traces = [t for ts in pool.map(work, range(8)) for t in ts]
    assert len(traces) == 48 and len(set(traces)) == 48


def test_low_level_call(portal):
    text = (
        '{"data":{"serverAddr":"%s%s","appId":"%s","appKey":"%s","encryptType":"SM4",'
        '"signType":"SM3","timestamp":"","version":"1.0.0","mobileDrugTipsId":"%s",'
        '"drugTipsIdType":"bar"},"orgId":"H46010000000"}'
    ) % (portal, DRUG, APP_ID, APP_KEY, drug()["mobileDrugTipsId"])
    code, output = onetrans.mobile_trans(text)
    assert code == "000000"
    assert output.startswith('{"code":0,"data":{"traceId"') and '"已核销"' in output
    code, output = onetrans.mobile_trans("not json")
    assert code == "000105" and '"respCode":"000105"' in output
    assert onetrans.default_library().version().count(".") == 2


def test_charset_is_added_and_numbers_keep_their_text():
    out = onetrans.with_utf8_charset('{"data":{"a":12.50,"b":1.5e3,"c":1E400},"orgId":"x"}')
    assert out == '{"data":{"charset":"utf-8","a":12.50,"b":1.5e3,"c":1E400},"orgId":"x"}'
    kept = '{"data":{"charset":"UTF-8"}}'
    assert onetrans.with_utf8_charset(kept) == kept
    assert onetrans.with_utf8_charset("[1]") == "[1]"
    with pytest.raises(ValueError):
        onetrans.with_utf8_charset('{"data":{"charset":"gbk"}}')


def test_the_library_named_by_the_environment_comes_first(monkeypatch, tmp_path):
    given = os.environ["ONETRANS_LIBRARY"]
    assert onetrans.find_library() == pathlib.Path(given).resolve()
    assert onetrans.candidates()[0] == pathlib.Path(given)
    monkeypatch.setenv("ONETRANS_LIBRARY", str(tmp_path / "missing.so"))
    with pytest.raises(OSError, match="ONETRANS_LIBRARY"):
        onetrans.find_library()
    assert onetrans.Library(given).version() == onetrans.default_library().version()


def test_the_example_runs_and_both_readmes_show_it(portal):
    example = REPO / "python/examples/verification_drug.py"
    run = subprocess.run([sys.executable, str(example), portal], capture_output=True,
                         encoding="utf-8", timeout=120)
    assert run.returncode == 0, run.stderr
    assert "核销成功 已核销 12.50" in run.stdout and "推送 True" in run.stdout
    text = example.read_text(encoding="utf-8")
    for readme in ("README.md", "windows/README.md"):
        body = (REPO / readme).read_text(encoding="utf-8")
        assert "```python\n" + text + "```\n" in body, f"{readme} must hold {example.name} verbatim"


def test_the_package_is_typed():
    assert (pathlib.Path(onetrans.__file__).parent / "py.typed").is_file()
